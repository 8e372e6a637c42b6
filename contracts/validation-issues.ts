import type { z } from 'zod';

/** Formats zod issues as `path.to.field: message` lines, prefixed with `prefix` when given. */
export function formatIssues(error: z.ZodError, prefix?: string): string[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    return `${path || '(root)'}: ${issue.message}`;
  });
}
