/**
 * How long the inference function's init waits for its model's load (handler.ts), in ms from the process's start.
 *  - `provisioned-concurrency`: Lambda prepares such an environment ahead of its traffic and freezes it from the end
 *    of init until its first request, so a load still in flight would wait for that request. Its init may run up to
 *    130 s (or the function's timeout, if longer): init waits for the whole load within that.
 *  - `on-demand`, and anything else or nothing (the twin, a test; Lambda offers SnapStart to no Node.js runtime):
 *    Lambda ends such an init after 10 s and runs it again within the first invocation, paying for it twice. Init stops
 *    waiting well before; the load goes on during the invocation, which waits for it. The first request follows init
 *    at once either way.
 * Lambda sets AWS_LAMBDA_INITIALIZATION_TYPE in every environment. The limits: "Init phase" of
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html.
 */
const PROVISIONED_WAIT_MS = 120_000;
const ON_DEMAND_WAIT_MS = 8_000;

export function initBudgetMs(initializationType: string | undefined, elapsedMs: number): number {
  return Math.max(0, (initializationType === 'provisioned-concurrency' ? PROVISIONED_WAIT_MS : ON_DEMAND_WAIT_MS) - elapsedMs);
}

/** Resolves once `work` settles (fulfilled or rejected) or `ms` have passed, whichever is first; leaves no timer behind. */
export function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    work.then(done, done);
  });
}
