/**
 * How a rejected input reads: one `path.to.field: message` line per zod issue.
 * Producers: the checks of external inputs with zod (lambdas/, team-config.ts, lib/private/).
 * Consumers: the people reading the errors: the CLI's output (bin/), the approval API's 400 answers (lambdas/registry/)
 * and the functions' logs.
 */
import type { $ZodError } from 'zod/v4/core';

/** Formats zod issues (of either build's schemas) as `path.to.field: message` lines, prefixed with `prefix` when given. */
export function formatIssues(error: $ZodError, prefix?: string): string[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    return `${path || '(root)'}: ${issue.message}`;
  });
}
