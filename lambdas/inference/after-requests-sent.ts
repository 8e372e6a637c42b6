/**
 * Runs `work` (synchronous loading: a module's import, onnxruntime-node's require) a turn of the event loop after the
 * requests just started are sent, so the services answer while it runs rather than after. The cold start's one way of
 * overlapping its loading with its reads (handler.ts, model-store.ts, InferenceService.warmUp).
 */
export function afterRequestsSent<T>(work: () => T | Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => setImmediate(() => Promise.resolve().then(work).then(resolve, reject)));
}
