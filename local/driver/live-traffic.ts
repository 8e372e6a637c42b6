import type { LoopSession } from './loop-session';

const INSTANCES_PER_REQUEST = 20;
const INTERVAL_MS = 2000;
/** Failed requests are reported as they start, then at most this often. */
const FAILURE_REPORT_MS = 30_000;

/**
 * Once a deployment succeeds, a steady trickle of requests to the inference URL, so the dashboards have data: the
 * live version's holdout rows replayed in order (refreshed after each deployment). Failed requests are printed
 * (how many, and the first response), never dropped.
 */
export function trafficOnceLive(session: LoopSession, log: (line: string) => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  let rows: readonly (readonly number[])[] = [];
  let next = 0;
  let requests = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  let reportedAt = 0;

  const send = async () => {
    const batch = Array.from({ length: INSTANCES_PER_REQUEST }, (_, i) => rows[(next + i) % rows.length]);
    next = (next + INSTANCES_PER_REQUEST) % rows.length;
    const result = await session.sendTraffic(batch, { batch: INSTANCES_PER_REQUEST, concurrency: 1 }).catch((err: Error) => ({ requests: 1, failures: 1, firstFailure: err.message }));
    requests += result.requests;
    if (!result.failures) return;
    failures += result.failures;
    firstFailure ??= result.firstFailure;
    if (Date.now() - reportedAt < FAILURE_REPORT_MS) return;
    reportedAt = Date.now();
    log(`traffic: ${failures} of ${requests} inference requests failed so far; the first with ${firstFailure}`);
  };

  const deployment = session.twin.output('DeploymentStateMachineArn');
  const unsubscribe = session.twin.states.onExecutionChange((execution) => {
    if (execution.stateMachineArn !== deployment || execution.status !== 'SUCCEEDED') return;
    void (async () => {
      const live = (await session.versions()).find((v) => v.status === 'live');
      if (!live) return;
      rows = (await session.holdout(live.version)).rows;
      next = 0;
      if (timer) return;
      log(`version ${live.version} is live: replaying its ${rows.length} holdout rows to the inference URL, ${INSTANCES_PER_REQUEST} every ${INTERVAL_MS / 1000} s (--no-traffic to stop this)`);
      timer = setInterval(() => void send(), INTERVAL_MS);
    })().catch((err: Error) => log(`traffic: cannot replay the live version's holdout set: ${err.message}`));
  });
  return () => {
    unsubscribe();
    if (timer) clearInterval(timer);
  };
}
