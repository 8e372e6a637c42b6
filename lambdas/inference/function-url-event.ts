// A namespace import lets esbuild keep only the parts of zod used; `import { z }` bundles all of it (its 40 locales too).
import * as z from 'zod';
import { formatIssues } from '../../contracts/validation-issues';
import type { InferenceResponse } from './inference-service';

/** A function URL's event (payload format 2.0), the parts the handler reads. */
const functionUrlEventSchema = z.object({
  rawPath: z.string(),
  /** Lowercase names, as function URLs deliver them. */
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().default(false),
  /** timeEpoch: when the function URL received the request (epoch ms). */
  requestContext: z.object({ requestId: z.string(), timeEpoch: z.number().optional(), http: z.object({ method: z.string() }) }),
});

export type FunctionUrlEvent = z.input<typeof functionUrlEventSchema>;

/**
 * The answer to an event that is no function URL event, naming what is wrong. Imported by the handler only for such an
 * event: zod is not part of a cold start's path to its first prediction.
 */
export function invalidEvent(event: unknown): InferenceResponse {
  const parsed = functionUrlEventSchema.safeParse(event);
  const problem = parsed.success ? 'malformed' : formatIssues(parsed.error).join('; ');
  return {
    statusCode: 400,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: 'InvalidEvent', message: `expected a function URL event: ${problem}` }),
  };
}
