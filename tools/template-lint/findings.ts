import { z } from 'zod';

/** The two linters the runner knows; the exceptions file names them the same way. */
export const LINT_TOOLS = ['cfn-lint', 'checkov'] as const;
export type LintTool = (typeof LINT_TOOLS)[number];

/**
 * One problem a linter reported about one template, located by the resource's construct path below its stack (e.g.
 * `Registry/PublishDlq/Resource`), which is what the exceptions file names. Where the location is not a resource of
 * the construct tree (an output, a parameter, the template itself), the path is the template location, e.g.
 * `Outputs/ModelName`.
 */
export interface Finding {
  readonly tool: LintTool;
  /** The linter's rule id, e.g. `W3005`, `ES1007`, `CKV_AWS_117`. */
  readonly rule: string;
  /** cfn-lint's level (`error`, `warning`, `informational`); checkov reports failed checks only. */
  readonly level: 'error' | 'warning' | 'informational' | 'failed';
  readonly resourcePath: string;
  readonly logicalId?: string;
  readonly message: string;
}

/** Logical id -> construct path below the stack, from the cloud assembly (lint-targets.ts `constructPaths`). */
export type ConstructPaths = ReadonlyMap<string, string>;

/** A linter's output that does not have the shape this runner was written against (e.g. a new major version). */
export class LinterOutputError extends Error {
  constructor(
    readonly tool: LintTool,
    readonly problems: string[],
  ) {
    super(`${tool} printed output this runner cannot read:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'LinterOutputError';
  }
}

/** `cfn-lint --format json`: a list of matches, each with its rule, level and location in the template. */
const cfnLintOutputSchema = z.array(
  z.object({
    Level: z.enum(['Error', 'Warning', 'Informational']),
    Message: z.string(),
    Location: z.object({ Path: z.array(z.union([z.string(), z.number()])).nullable() }),
    Rule: z.object({ Id: z.string().min(1) }),
  }),
);

/** `checkov -o json --framework cloudformation` on one file: the failed checks, each naming `<Type>.<LogicalId>`. */
const checkovOutputSchema = z.object({
  results: z.object({
    failed_checks: z.array(z.object({ check_id: z.string().min(1), check_name: z.string(), resource: z.string().min(1) })),
  }),
  summary: z.object({ passed: z.number().int(), failed: z.number().int(), parsing_errors: z.number().int() }),
});

/** What checkov said about one template: its failed checks and how many passed. */
export interface CheckovResult {
  readonly findings: Finding[];
  readonly passed: number;
}

/** The findings of `cfn-lint --format json` on one template (its stdout, parsed). */
export function cfnLintFindings(output: unknown, paths: ConstructPaths): Finding[] {
  const matches = parseOutput('cfn-lint', cfnLintOutputSchema, output);
  return matches.map((match) => {
    const location = (match.Location.Path ?? []).map(String);
    const logicalId = location[0] === 'Resources' ? location[1] : undefined;
    return {
      tool: 'cfn-lint',
      rule: match.Rule.Id,
      level: match.Level.toLowerCase() as Finding['level'],
      resourcePath: logicalId ? constructPath(paths, logicalId) : location.slice(0, 2).join('/') || '(template)',
      logicalId,
      message: match.Message,
    };
  });
}

/** The failed checks and the passed count of `checkov -o json` on one template (its stdout, parsed). */
export function checkovResult(output: unknown, paths: ConstructPaths): CheckovResult {
  const { results, summary } = parseOutput('checkov', checkovOutputSchema, output);
  if (summary.parsing_errors > 0) throw new LinterOutputError('checkov', [`could not parse the template (${summary.parsing_errors} parsing errors)`]);
  const findings = results.failed_checks.map((check): Finding => {
    // `AWS::SQS::Queue.DeploymentFlowRuleDlq28656219`: the logical id follows the type's last dot.
    const logicalId = check.resource.slice(check.resource.lastIndexOf('.') + 1);
    return { tool: 'checkov', rule: check.check_id, level: 'failed', resourcePath: constructPath(paths, logicalId), logicalId, message: check.check_name };
  });
  return { findings, passed: summary.passed };
}

/** The resource's construct path below its stack, or `Resources/<logicalId>` for a resource outside the construct tree. */
export function constructPath(paths: ConstructPaths, logicalId: string): string {
  return paths.get(logicalId) ?? `Resources/${logicalId}`;
}

function parseOutput<T>(tool: LintTool, schema: z.ZodType<T>, output: unknown): T {
  const result = schema.safeParse(output);
  if (result.success) return result.data;
  throw new LinterOutputError(
    tool,
    result.error.issues.slice(0, 10).map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`),
  );
}
