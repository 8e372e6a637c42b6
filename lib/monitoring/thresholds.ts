import { Token } from 'aws-cdk-lib';

/** Alarm severities, as in cdk-monitoring-constructs. */
export const SEVERITIES = ['Warning', 'Critical'] as const;
/** An alarm's level: Critical alarms stop a canary, Warning alarms only notify. */
export type Severity = (typeof SEVERITIES)[number];

/** A Warning/Critical threshold pair; either may be omitted (the team config's `{ warning?, critical? }`). */
export interface ThresholdPair {
  /**
   * The level at which the Warning alarm fires; must not be worse than `critical`.
   * @default - no Warning alarm
   */
  readonly warning?: number;
  /**
   * The level at which the Critical alarm fires.
   * @default - no Critical alarm
   */
  readonly critical?: number;
}

/** Direction in which a value gets worse. */
export type Breach = 'above' | 'below';

/** The thresholds of a pair, keyed by severity, skipping the missing ones. */
export function thresholdsBySeverity(pair: ThresholdPair): Array<[Severity, number]> {
  const entries: Array<[Severity, number | undefined]> = [
    ['Warning', pair.warning],
    ['Critical', pair.critical],
  ];
  return entries.filter((entry): entry is [Severity, number] => entry[1] !== undefined);
}

/**
 * Problems of a threshold pair for a prop: out of range, or a Warning level worse than the Critical one.
 * Returned (not thrown) so a construct can report every bad prop at once.
 */
export function thresholdProblems(
  prop: string,
  pair: ThresholdPair,
  range: { min: number; max: number },
  breach: Breach = 'above',
): string[] {
  const problems: string[] = [];
  for (const [severity, value] of thresholdsBySeverity(pair)) {
    if (Token.isUnresolved(value)) continue;
    if (!Number.isFinite(value) || value < range.min || value > range.max) {
      problems.push(`${prop}.${severity.toLowerCase()} must be between ${range.min} and ${range.max}, got: ${value}`);
    }
  }
  const { warning, critical } = pair;
  if (warning !== undefined && critical !== undefined && !Token.isUnresolved(warning) && !Token.isUnresolved(critical)) {
    const inverted = breach === 'above' ? warning > critical : warning < critical;
    if (inverted) {
      problems.push(
        `${prop}.warning must be ${breach === 'above' ? '<=' : '>='} ${prop}.critical (a warning fires first), got: warning ${warning}, critical ${critical}`,
      );
    }
  }
  return problems;
}
