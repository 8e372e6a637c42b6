// A namespace import lets esbuild keep only the parts of zod used; `import { z }` bundles all of it (its 40 locales too).
import * as z from 'zod';
import { formatIssues } from '../../contracts/validation-issues';
import { NO_CAPTURE_HEADER, optsOutOfCapture } from '../../contracts/capture-opt-out';
import type { InferenceResponse } from './inference-service';
import { inferenceServiceFromEnv } from './service-from-env';

/**
 * Lambda entry of the inference tier, behind the `live` alias' function URL (payload format 2.0).
 * Routes: POST /invocations (see predict.ts for the response), GET /ping (200 when the model is loaded or
 * loadable, 503 with the reason otherwise, e.g. MODEL_VERSION unset on $LATEST).
 */
const functionUrlEventSchema = z.object({
  rawPath: z.string(),
  /** Lowercase names, as function URLs deliver them. */
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().default(false),
  /** timeEpoch: when the function URL received the request (epoch ms). */
  requestContext: z.object({ requestId: z.string(), timeEpoch: z.number().optional(), http: z.object({ method: z.string() }) }),
});

type FunctionUrlEvent = z.input<typeof functionUrlEventSchema>;

function isFunctionUrlEvent(event: unknown): event is FunctionUrlEvent {
  const e = event as FunctionUrlEvent | null;
  return (
    typeof e?.rawPath === 'string' &&
    (e.headers === undefined || (typeof e.headers === 'object' && e.headers !== null)) &&
    (e.body === undefined || typeof e.body === 'string') &&
    (e.isBase64Encoded === undefined || typeof e.isBase64Encoded === 'boolean') &&
    typeof e.requestContext?.requestId === 'string' &&
    (e.requestContext.timeEpoch === undefined || typeof e.requestContext.timeEpoch === 'number') &&
    typeof e.requestContext.http?.method === 'string'
  );
}

const service = inferenceServiceFromEnv({ flushWithRequests: true });
// Loading during the init phase (boosted CPU, not billed to the first request's latency budget).
service.warmUp();

export const handler = (event: unknown): Promise<InferenceResponse> => {
  // Function URL events are well formed; zod only runs to word the error for anything else.
  if (!isFunctionUrlEvent(event)) return Promise.resolve(invalidEvent(event));
  const { rawPath, headers, body, isBase64Encoded = false, requestContext } = event;
  // The service's own promise: the container is frozen once it settles, so the service flushes metrics and capture
  // within it when due (flushWithRequests, at most once a second).
  return service.handle({
    method: requestContext.http.method,
    path: rawPath,
    body,
    isBase64Encoded,
    requestId: requestContext.requestId,
    receivedAt: requestContext.timeEpoch,
    captureOptOut: headers !== undefined && optsOutOfCapture(headers[NO_CAPTURE_HEADER]),
  });
};

function invalidEvent(event: unknown): InferenceResponse {
  const parsed = functionUrlEventSchema.safeParse(event);
  const problem = parsed.success ? 'malformed' : formatIssues(parsed.error).join('; ');
  return {
    statusCode: 400,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: 'InvalidEvent', message: `expected a function URL event: ${problem}` }),
  };
}
