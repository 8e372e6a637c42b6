import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TeamConfig } from '../../../contracts/team-config';
import { replayRows } from '../holdout-replay';
import { type LoopSession, LoopStepError, sleep } from '../loop-session';
import type { DrillResult } from './drill-result';
import { requireLive } from './drill-support';

/** Writes the cloud assembly of a team config without blocking the twin (local/driver/synth.ts); returns its directory. */
export type TeamSynthesizer = (config: TeamConfig, outdir: string) => Promise<string>;

/**
 * A week-day `cdk deploy` while a version serves: the platform's config changes (more memory for the inference
 * function, provisioned concurrency on its alias) and the new cloud assembly is applied to the running twin as a
 * CloudFormation stack update, while traffic flows. Every request must succeed, during and after, and the alias must
 * serve the same version: only the deployment flow decides what serves.
 */
export async function stackUpdateDrill(session: LoopSession, synthesize: TeamSynthesizer): Promise<DrillResult> {
  const { config } = session;
  if (config.inference.kind !== 'lambda') throw new LoopStepError('stack update', 'the drill changes the Lambda inference tier; this team serves on EKS');
  const live = await requireLive(session, 'stack update');
  const before = session.liveAlias();
  const changed: TeamConfig = {
    ...config,
    inference: {
      ...config.inference,
      memoryMiB: Math.min(10_240, config.inference.memoryMiB + 512),
      provisionedConcurrency: config.inference.provisionedConcurrency + 1,
    },
  };
  const cdkOut = await synthesize(changed, join(mkdtempSync(join(tmpdir(), 'stack-update-drill-')), 'cdk.out'));

  const rows = replayRows((await session.holdout(live.version)).rows, 200);
  let requests = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  let updating = true;
  const traffic = (async () => {
    // Traffic throughout the update, then one more round once it is done.
    for (let round = 0; updating || round === 0; round++) {
      const sent = await session.sendTraffic(rows, { batch: 10, concurrency: 2 });
      requests += sent.requests;
      failures += sent.failures;
      firstFailure ??= sent.firstFailure;
      await sleep(5);
    }
  })();
  const summary = await session.twin.update(cdkOut).finally(() => {
    updating = false;
  });
  await traffic;
  const after = await session.sendTraffic(rows, { batch: 10, concurrency: 2 });
  requests += after.requests;
  failures += after.failures;
  firstFailure ??= after.firstFailure;

  const aliasAfter = session.liveAlias();
  const stack = summary.find((s) => s.stackName === `Mlops-${config.team}`);
  const touched = [...(stack?.updated ?? []), ...(stack?.replaced ?? [])];
  const changedAlias = touched.some((id) => /^InferenceLiveAlias[0-9A-F]{8}$/.test(id));
  const changedFunction = touched.some((id) => /^InferenceFunction[0-9A-F]{8}$/.test(id));
  const ok = failures === 0 && aliasAfter.version === before.version && Object.keys(aliasAfter.routing).length === 0 && changedAlias && changedFunction;
  return {
    name: 'stack update',
    ok,
    line:
      `stack updated while v${live.version} served (${touched.length} resources updated, the live alias's${changedAlias ? '' : ' NOT'} and the inference function's${changedFunction ? '' : ' NOT'} among them): ` +
      `${failures} of ${requests} requests failed${firstFailure ? ` (first: ${firstFailure})` : ''}; alias -> function version ${aliasAfter.version} (was ${before.version})`,
  };
}
