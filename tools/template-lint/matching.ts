import { type LintException, patternMatches } from './exceptions';
import type { Finding } from './findings';

/** One template's findings split by the exceptions file. */
export interface MatchedFindings {
  readonly excepted: Finding[];
  readonly unexcepted: Finding[];
}

/** A resource pattern of an exception, identified for the stale check (`entry` indexes the exceptions file). */
export interface ExceptionPattern {
  readonly entry: number;
  readonly exception: LintException;
  readonly pattern: string;
}

/**
 * Splits findings into those an exception covers (same tool, same rule, a resource pattern matching the finding's
 * construct path) and the rest, and records in `used` every pattern that covered something: a pattern that never
 * does, across all templates, is stale (`stalePatterns`).
 */
export function matchFindings(findings: readonly Finding[], exceptions: readonly LintException[], used: Set<string> = new Set()): MatchedFindings {
  const excepted: Finding[] = [];
  const unexcepted: Finding[] = [];
  for (const finding of findings) {
    let covered = false;
    exceptions.forEach((exception, entry) => {
      if (exception.tool !== finding.tool || exception.rule !== finding.rule) return;
      for (const pattern of exception.resources) {
        if (!patternMatches(pattern, finding.resourcePath)) continue;
        covered = true;
        used.add(patternKey(entry, pattern));
      }
    });
    (covered ? excepted : unexcepted).push(finding);
  }
  return { excepted, unexcepted };
}

/** The patterns of `exceptions` that `matchFindings` never recorded in `used`. */
export function stalePatterns(exceptions: readonly LintException[], used: ReadonlySet<string>): ExceptionPattern[] {
  return exceptions.flatMap((exception, entry) =>
    exception.resources.filter((pattern) => !used.has(patternKey(entry, pattern))).map((pattern) => ({ entry, exception, pattern })),
  );
}

function patternKey(entry: number, pattern: string): string {
  return `${entry}\0${pattern}`;
}
