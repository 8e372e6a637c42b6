import type { z } from 'zod';
import { formatIssues } from '../../contracts/validation-issues';
import { InvalidInputError } from './errors';

/** Parses an event or body with `schema`; a failure names every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new InvalidInputError(`invalid ${what}: ${formatIssues(parsed.error).join('; ')}`);
  return parsed.data;
}
