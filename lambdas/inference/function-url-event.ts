// zod's mini build, as the rest of the inference function (contracts/zod-mini.ts): one build of zod in its bundle.
import * as z from '../../contracts/zod-mini';
import { formatIssues } from '../../contracts/validation-issues';
import type { InferenceResponse } from './inference-service';

/** A function URL's event (payload format 2.0), the parts the handler reads. */
const functionUrlEventSchema = z.object({
  rawPath: z.string(),
  /** Lowercase names, as function URLs deliver them. */
  headers: z.optional(z.record(z.string(), z.string())),
  body: z.optional(z.string()),
  isBase64Encoded: z._default(z.boolean(), false),
  /** timeEpoch: when the function URL received the request (epoch ms). */
  requestContext: z.object({ requestId: z.string(), timeEpoch: z.optional(z.number()), http: z.object({ method: z.string() }) }),
});

export type FunctionUrlEvent = z.input<typeof functionUrlEventSchema>;

/**
 * The answer to an event that is no function URL event, naming what is wrong. Imported by the handler only for such an
 * event: this schema is not part of a cold start's path to its first prediction.
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
