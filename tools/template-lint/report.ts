import type { Finding, LintTool } from './findings';
import type { ExceptionPattern, MatchedFindings } from './matching';

/** Width of the tool column, so that the summary lines of both tools line up in CI's log. */
const TOOL_WIDTH = 'cfn-lint'.length + 2;

/**
 * The summary line of one tool on one template, e.g. `cfn-lint  Mlops-fraud  0 errors, 0 warnings (47 excepted)` or
 * `checkov   Mlops-fraud  518 passed, 0 failed (94 excepted)`. Counts are of unexcepted findings.
 */
export function summaryLine(tool: LintTool, label: string, matched: MatchedFindings, checkovPassed = 0): string {
  const counts =
    tool === 'cfn-lint'
      ? [`${count(matched.unexcepted, 'error')} errors`, `${count(matched.unexcepted, 'warning')} warnings`, ...informational(matched.unexcepted)].join(', ')
      : `${checkovPassed} passed, ${matched.unexcepted.length} failed`;
  return `${tool.padEnd(TOOL_WIDTH)}${label}  ${counts} (${matched.excepted.length} excepted)`;
}

/** One unexcepted finding, indented under its summary line: rule, level, construct path, logical id, message. */
export function findingLine(finding: Finding): string {
  const where = finding.logicalId && !finding.resourcePath.endsWith(finding.logicalId) ? `${finding.resourcePath} (${finding.logicalId})` : finding.resourcePath;
  return `    ${finding.rule} ${finding.level} ${where}: ${finding.message}`;
}

/** An exception pattern that matched no finding in any template: the file must drop it (or the pattern is wrong). */
export function staleLine({ entry, exception, pattern }: ExceptionPattern): string {
  return `    entry ${entry} (${exception.tool} ${exception.rule}): resource pattern "${pattern}" matched no finding in any template; remove it`;
}

function count(findings: readonly Finding[], level: Finding['level']): number {
  return findings.filter((f) => f.level === level).length;
}

/** cfn-lint reports informational findings only when asked; shown when there are any. */
function informational(findings: readonly Finding[]): string[] {
  const n = count(findings, 'informational');
  return n ? [`${n} informational`] : [];
}
