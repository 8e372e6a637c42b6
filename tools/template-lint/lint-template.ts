import type { PythonEnvironment } from '../../local/services/python-environments';
import type { LintException } from './exceptions';
import { checkovResult, cfnLintFindings } from './findings';
import type { SynthesizedTemplate } from './lint-targets';
import { runCfnLint, runCheckov } from './linters';
import { type MatchedFindings, matchFindings } from './matching';

/** Both linters' findings on one template, split by the exceptions, and how many checkov checks passed. */
export interface TemplateLintResult {
  readonly cfnLint: MatchedFindings;
  readonly checkov: MatchedFindings;
  readonly checkovPassed: number;
}

/**
 * Runs cfn-lint (with the serverless rules) and checkov on one synthesized template and matches their findings
 * against the exceptions, recording the patterns used in `used` (see matching.ts).
 */
export async function lintTemplate(
  environment: PythonEnvironment,
  { templateFile, constructPaths }: SynthesizedTemplate,
  exceptions: readonly LintException[],
  used: Set<string> = new Set(),
): Promise<TemplateLintResult> {
  // Both linters at once: each is one Python process, and CI has two cores.
  const [cfnLintOutput, checkovOutput] = await Promise.all([runCfnLint(environment, templateFile), runCheckov(environment, templateFile)]);
  const checkov = checkovResult(checkovOutput, constructPaths);
  return {
    cfnLint: matchFindings(cfnLintFindings(cfnLintOutput, constructPaths), exceptions, used),
    checkov: matchFindings(checkov.findings, exceptions, used),
    checkovPassed: checkov.passed,
  };
}
