import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Severity, ThresholdPair, thresholdsBySeverity } from './thresholds';

/** Widget colours of the severities, so a graph's lines read the same as the alarms. */
export const SEVERITY_COLORS: Record<Severity, string> = { Warning: '#ff7f0e', Critical: '#d62728' };

/** CloudWatch dashboards are 24 columns wide. */
export const DASHBOARD_COLUMNS = 24;

/**
 * Horizontal annotations for the thresholds of a pair, rendered from the same fields the alarms are built from,
 * so the lines on a graph are where the alarms fire.
 */
export function thresholdAnnotations(pair: ThresholdPair, what: string): cloudwatch.HorizontalAnnotation[] {
  return thresholdsBySeverity(pair).map(([severity, value]) => ({
    value,
    label: `${what} ${severity} (${value})`,
    color: SEVERITY_COLORS[severity],
    fill: cloudwatch.Shading.NONE,
  }));
}

/** Widths of `count` widgets sharing one row of the grid (the last widget takes the remainder). */
export function rowWidths(count: number): number[] {
  const width = Math.floor(DASHBOARD_COLUMNS / count);
  return Array.from({ length: count }, (_, i) => (i === count - 1 ? DASHBOARD_COLUMNS - width * (count - 1) : width));
}
