import { NO_CAPTURE_HEADER, optsOutOfCapture } from '../../contracts/capture-opt-out';
import type { FunctionUrlEvent } from './function-url-event';
import type { InferenceResponse, InferenceService } from './inference-service';
import { afterRequestsSent } from './after-requests-sent';
import { initBudgetMs, settledWithin } from './init-budget';
import { loadingNow, modelSourceFromEnv } from './model-source';

/**
 * Lambda entry of the inference tier, behind the `live` alias' function URL (payload format 2.0).
 * Routes: POST /invocations (see predict.ts for the response), GET /ping (200 when the model is loaded or
 * loadable, 503 with the reason otherwise, e.g. MODEL_VERSION unset on $LATEST).
 */
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

// The model's reads go out first; the service's code (request schema, model runtime, metrics, capture) loads while the
// registry and S3 answer (bench/cold-start.ts). A turn of the event loop later: import() reads and compiles a module
// at once, which would hold back the requests' sending. Configuration errors name the variable: modelSourceFromEnv's
// fail the init here, inferenceServiceFromEnv's every invocation (the service's promise rejects).
const source = loadingNow(modelSourceFromEnv());
let ready: InferenceService | undefined;
const service = afterRequestsSent(() => import('./service-from-env')).then(({ inferenceServiceFromEnv }) => {
  ready = inferenceServiceFromEnv({ flushWithRequests: true, source });
  return ready;
});
// Reported by the invocations that wait on it; not an unhandled rejection before the first one.
service.catch(() => undefined);
// Init ends once the model is loaded and its session created (the shadow state is read after it), or a load failed,
// or init's budget is spent: an environment provisioned ahead of its traffic then serves its first request at once
// (init-budget.ts). Lambda imports this ES module and waits for its top-level await.
await settledWithin(
  service.then((loaded) => loaded.warmUp()),
  initBudgetMs(process.env.AWS_LAMBDA_INITIALIZATION_TYPE, performance.now()),
);

export const handler = (event: unknown): Promise<InferenceResponse> => {
  // Function URL events are well formed; zod only runs to word the error for anything else.
  if (!isFunctionUrlEvent(event)) return import('./function-url-event').then(({ invalidEvent }) => invalidEvent(event));
  const { rawPath, headers, body, isBase64Encoded = false, requestContext } = event;
  const request = {
    method: requestContext.http.method,
    path: rawPath,
    body,
    isBase64Encoded,
    requestId: requestContext.requestId,
    receivedAt: requestContext.timeEpoch,
    captureOptOut: headers !== undefined && optsOutOfCapture(headers[NO_CAPTURE_HEADER]),
  };
  // The service's own promise: the container is frozen once it settles, so the service flushes metrics and capture
  // within it when due (flushWithRequests, at most once a second).
  return ready ? ready.handle(request) : service.then((loaded) => loaded.handle(request));
};
