import type { LoopSession } from './loop-session';

/** Once a deployment succeeds, a steady trickle of normal requests to the inference URL, so the dashboards have data. */
export function trafficOnceLive(session: LoopSession, log: (line: string) => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  let seed = 1000;
  const deployment = session.twin.output('DeploymentStateMachineArn');
  const unsubscribe = session.twin.states.onExecutionChange((execution) => {
    if (timer || execution.stateMachineArn !== deployment || execution.status !== 'SUCCEEDED') return;
    log('a version is live: sending a request of 20 transactions every 2 s to the inference URL (--no-traffic to stop this)');
    timer = setInterval(() => void session.sendTraffic({ rows: 20, seed: seed++, shift: 0, concurrency: 1 }).catch(() => undefined), 2000);
  });
  return () => {
    unsubscribe();
    if (timer) clearInterval(timer);
  };
}
