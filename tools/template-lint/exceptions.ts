import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { LINT_TOOLS } from './findings';

/**
 * The one reviewed list of linter findings the platform accepts (tools/template-lint/exceptions.json), the way
 * cdk-nag acknowledgements carry their reasons: each entry names the tool, one rule, the construct paths it applies to
 * and why the rule does not apply to them.
 *
 * A resource pattern is a construct path below the stack (`DeploymentFlow/RuleDlq/Resource`) in which `*` stands for
 * any characters inside one path segment and `**` for any number of whole segments (`**` alone: every resource).
 * A pattern matches whole paths only: `DeploymentFlow/*` does not match `DeploymentFlow/RuleDlq/Resource`.
 */

/** The reviewed exceptions of this repository. */
export const EXCEPTIONS_FILE = join(__dirname, 'exceptions.json');

/**
 * Patterns: path segments of letters, digits and `-_.:*` (CDK's own singletons are named like
 * `Custom::CDKBucketDeployment<hash>`), separated by `/`; `**` only as a whole segment.
 */
const resourcePattern = z
  .string()
  .regex(/^[A-Za-z0-9_.:*-]+(\/[A-Za-z0-9_.:*-]+)*$/, 'a construct path below the stack, segments separated by "/", e.g. "DeploymentFlow/RuleDlq/Resource"')
  .refine((pattern) => pattern.split('/').every((segment) => segment === '**' || !segment.includes('**')), {
    message: '"**" stands for whole segments: write it between slashes (e.g. "**/Resource")',
  });

const exceptionSchema = z
  .object({
    tool: z.enum(LINT_TOOLS),
    /** One rule id, as the tool prints it (e.g. `W3005`, `CKV_AWS_117`). */
    rule: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a rule id such as W3005 or CKV_AWS_117'),
    resources: z.array(resourcePattern).min(1),
    /** Why the rule does not apply to these resources; reviewed with the entry. */
    reason: z.string().trim().min(40, 'say why the rule does not apply to these resources (at least 40 characters)'),
  })
  .strict();

const exceptionsFileSchema = z.array(exceptionSchema).superRefine((entries, ctx) => {
  const seen = new Map<string, number>();
  entries.forEach((entry, index) => {
    const key = `${entry.tool} ${entry.rule}`;
    const first = seen.get(key);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: [index, 'rule'], message: `${key} has an entry already (entry ${first}); add its resources there` });
    else seen.set(key, index);
  });
});

export type LintException = z.output<typeof exceptionSchema>;

/** The exceptions file is not valid; every problem is listed with the entry and field it is in. */
export class LintExceptionsError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`Invalid lint exceptions ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'LintExceptionsError';
  }
}

/** Validates parsed exceptions; throws LintExceptionsError naming each bad entry (`[3].resources.0: ...`). */
export function parseLintExceptions(raw: unknown, source = 'lint exceptions'): LintException[] {
  const result = exceptionsFileSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new LintExceptionsError(
    source,
    result.error.issues.map((issue) => {
      const [index, ...field] = issue.path.map(String);
      const entry = index === undefined ? '(file)' : `entry ${index}${describeEntry(raw, Number(index))}`;
      return `${entry}${field.length ? ` ${field.join('.')}` : ''}: ${issue.message}`;
    }),
  );
}

/** Reads and validates the exceptions file. */
export function loadLintExceptions(file: string): LintException[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new LintExceptionsError(file, [`cannot read JSON: ${(err as Error).message}`]);
  }
  return parseLintExceptions(raw, file);
}

/** Whether `pattern` (see the module docs) matches the whole construct path. */
export function patternMatches(pattern: string, path: string): boolean {
  return patternRegExp(pattern).test(`${path}/`);
}

/** The tool and rule of an entry, for messages: ` (checkov CKV_AWS_27)`, or nothing when the entry has neither. */
function describeEntry(raw: unknown, index: number): string {
  const entry = Array.isArray(raw) ? (raw[index] as Partial<Record<'tool' | 'rule', unknown>> | undefined) : undefined;
  const words = [entry?.tool, entry?.rule].filter((word): word is string => typeof word === 'string');
  return words.length ? ` (${words.join(' ')})` : '';
}

const compiled = new Map<string, RegExp>();

/**
 * The pattern as a regular expression over the path with a trailing `/`: each segment then ends in a slash, so `**`
 * (any number of whole segments, none included) is `(?:[^/]+/)*`, and "Flow/**" also matches "Flow" itself.
 */
function patternRegExp(pattern: string): RegExp {
  let regExp = compiled.get(pattern);
  if (!regExp) {
    const source = pattern
      .split('/')
      .map((segment) => (segment === '**' ? '(?:[^/]+/)*' : `${segment.replaceAll('.', '\\.').replaceAll('*', '[^/]*')}/`))
      .join('');
    regExp = new RegExp(`^${source}$`);
    compiled.set(pattern, regExp);
  }
  return regExp;
}