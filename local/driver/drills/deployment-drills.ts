import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { run as runLoginCommand } from '../../../bin/commands/login';
import { run as runModelsCommand } from '../../../bin/commands/models';
import { LOCAL_CREDENTIALS } from '../../services/aws-environment';
import { type LoopSession, LoopStepError, sleep, waitFor } from '../loop-session';
import type { DrillResult } from './drill-result';
import { DEPLOYMENT_TIMEOUT_MS, deploymentsSince, drillRegistry, entered, finished, modelState, readArtifact, registerLike, requireLive } from './drill-support';
import { rangeFragileArchive } from './range-fragile-model';

/**
 * Drills of the deployment flow, each on the synthesized state machine in the twin, through the doors a team uses:
 * versions registered as `mlops models register` does, approvals and aborts through the approval API, rollbacks with
 * `mlops models rollback`, traffic to the function URL.
 */

/** Two versions approved at once: one deploys, the other waits for it (Begin retried), then deploys; nothing crossed. */
export async function concurrentApprovalsDrill(session: LoopSession): Promise<DrillResult> {
  const live = await requireLive(session, 'concurrent approvals');
  const first = await registerLike(session, live, 'fault drill: approved at the same time as the next version');
  const second = await registerLike(session, live, 'fault drill: approved at the same time as the previous version');
  const since = Date.now();
  await Promise.all([first, second].map((v) => session.approve(v, 'fault drill: two approvals at once')));
  const executions = await Promise.all((await deploymentsSince(session, since, 2)).map(finished));
  const registry = drillRegistry(session);
  const audits = await Promise.all([first, second].map(async (v) => (await registry.getVersionDetail(session.model, v)).audit));
  const at = (audit: typeof audits[number], to: string) => audit.find((a) => a.to === to)?.at ?? '';
  // Serialised: the later deployment began only once the earlier one was live.
  const [earlier, later] = [0, 1].sort((a, b) => at(audits[a], 'deploying').localeCompare(at(audits[b], 'deploying')));
  const serialised = at(audits[later], 'deploying') >= at(audits[earlier], 'live') && at(audits[earlier], 'live') !== '';
  const queued = executions.filter((e) => e.events.some((ev) => ev.type === 'StateRetried' && ev.state === 'Begin'));
  const rolledBack = executions.filter((e) => entered(e).includes('Rollback'));
  const state = await modelState(session);
  const versions = [first, second];
  const ok = executions.every((e) => e.status === 'SUCCEEDED') && serialised && queued.length === 1 && rolledBack.length === 0 && state.liveVersion === versions[later];
  return {
    name: 'concurrent approvals',
    ok,
    line:
      `v${first} and v${second} approved at once: v${versions[earlier]} deployed, v${versions[later]} waited (Begin retried in ${queued.map((e) => e.name).join(', ') || 'no execution'}) ` +
      `and deployed after it; executions ${executions.map((e) => e.status).join(' and ')}, ${rolledBack.length} rolled back; v${state.liveVersion} live`,
  };
}

/**
 * A duplicate approval event (EventBridge delivers at least once): the registry event of an approval is put on the
 * team bus a second time, so two executions start for one version. One deploys it; the other's Begin is refused
 * (another execution owns the deployment, or the version is already live) and it ends DeploymentNotStarted without
 * touching the registry or the alias.
 */
export async function duplicateEventDrill(session: LoopSession): Promise<DrillResult> {
  const live = await requireLive(session, 'duplicate event');
  const version = await registerLike(session, live, 'fault drill: its approval event is delivered twice');
  const since = Date.now();
  await session.approve(version, 'fault drill: approval event delivered twice');
  const delivered = await waitFor('duplicate event: approval event', DEPLOYMENT_TIMEOUT_MS, () =>
    session.twin.events.recent.find((r) => {
      const detail = r.event.detail as { model?: string; version?: number; status?: string };
      return r.event.source === 'mlops.registry' && detail.model === session.model && detail.version === version && detail.status === 'approved';
    }),
  );
  const events = new EventBridgeClient({ region: session.twin.app.env.region, endpoint: session.twin.url, credentials: LOCAL_CREDENTIALS });
  try {
    await events.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: session.twin.output('EventBusName'), Source: delivered.event.source, DetailType: delivered.event['detail-type'], Detail: JSON.stringify(delivered.event.detail) }],
      }),
    );
  } finally {
    events.destroy();
  }
  const executions = await Promise.all((await deploymentsSince(session, since, 2)).map(finished));
  const deployed = executions.filter((e) => e.status === 'SUCCEEDED');
  const refused = executions.filter((e) => e.status === 'FAILED' && entered(e).includes('DeploymentNotStarted'));
  const state = await modelState(session);
  const ok = deployed.length === 1 && refused.length === 1 && !executions.some((e) => entered(e).includes('Rollback')) && state.liveVersion === version && state.deployingVersion === null;
  return {
    name: 'duplicate event',
    ok,
    line:
      `v${version}'s approval event delivered twice: ${deployed.length} execution deployed it, ${refused.length} ended DeploymentNotStarted ` +
      `(${refused.map((e) => e.error).join(', ') || 'none'}); v${state.liveVersion} live, nothing deploying`,
  };
}

/**
 * `mlops login` as the team's operator (the twin's directory user of the operator group), then `mlops models rollback`
 * through the approval API: the registry restores the previous live version and the Restore path moves the alias.
 */
export async function restoreDrill(session: LoopSession): Promise<DrillResult> {
  const stateFile = session.twin.options.stateFile;
  if (!stateFile) throw new LoopStepError('restore', 'the twin writes no state file, which the mlops CLI needs');
  const live = await requireLive(session, 'restore');
  const since = Date.now();
  const output: string[] = [];
  const io = { stdout: (s: string) => output.push(s), stderr: (s: string) => output.push(s) };
  const operator = `${session.config.access.operatorGroup}@localhost`;
  if ((await runLoginCommand(['--user', operator, '--twin', stateFile], io)) !== 0) {
    return { name: 'restore', ok: false, line: `mlops login --user ${operator} failed: ${output.join(' ')}` };
  }
  const code = await runModelsCommand(['rollback', session.model, '--comment', 'fault drill: roll back the live version', '--twin', stateFile], io);
  if (code !== 0) return { name: 'restore', ok: false, line: `mlops models rollback exited ${code}: ${output.join(' ')}` };
  const [restore] = await deploymentsSince(session, since);
  const done = await finished(restore);
  const state = await modelState(session);
  const restored = state.liveVersion === null ? undefined : await drillRegistry(session).getVersion(session.model, state.liveVersion);
  const alias = session.liveAlias();
  const ok =
    done.status === 'SUCCEEDED' &&
    entered(done).includes('Restore') &&
    restored !== undefined &&
    restored.version !== live.version &&
    alias.version === restored.functionVersion &&
    Object.keys(alias.routing).length === 0;
  return {
    name: 'restore',
    ok,
    line: `mlops models rollback: v${live.version} rolled back, v${state.liveVersion} live again; restore execution ${done.status}, alias -> function version ${alias.version}`,
  };
}

/** A deployment aborted mid-canary: its execution stops, the version is rolled back, the next approval deploys. */
export async function abortDrill(session: LoopSession): Promise<DrillResult> {
  const live = await requireLive(session, 'abort');
  const aborted = await registerLike(session, live, 'fault drill: aborted during its canary');
  const since = Date.now();
  await session.approve(aborted, 'fault drill: to be aborted');
  const [deployment] = await deploymentsSince(session, since);
  await waitFor('abort: canary', DEPLOYMENT_TIMEOUT_MS, () => (entered(deployment).includes('Bake') ? true : undefined), 20);
  const canaryWeights = session.liveAlias().routing;
  const result = await session.api<{ version: number; executionStatus: string; released: boolean }>(
    'POST',
    `/models/${encodeURIComponent(session.model)}/deployment/abort`,
    { comment: 'fault drill: abort mid-canary' },
  );
  const stopped = await finished(deployment);
  const after = await modelState(session);
  const abortedStatus = (await drillRegistry(session).getVersion(session.model, aborted)).status;
  const aliasAfter = session.liveAlias();
  const cleaned = after.deployingVersion === null && abortedStatus === 'rolled_back' && aliasAfter.version === live.functionVersion && Object.keys(aliasAfter.routing).length === 0;

  const next = await registerLike(session, live, 'fault drill: approved after an aborted deployment');
  const nextSince = Date.now();
  await session.approve(next, 'fault drill: deploys after the abort');
  const [nextDeployment] = await deploymentsSince(session, nextSince);
  const nextDone = await finished(nextDeployment);
  const nowLive = (await modelState(session)).liveVersion;
  const ok = Object.keys(canaryWeights).length === 1 && stopped.status === 'ABORTED' && cleaned && nextDone.status === 'SUCCEEDED' && nowLive === next;
  return {
    name: 'abort',
    ok,
    line:
      `v${aborted} aborted mid-canary (canary weight ${JSON.stringify(canaryWeights)}): execution ${stopped.status}, v${aborted} ${abortedStatus} ` +
      `(released by ${result.released ? 'the abort' : "the execution's ABORTED event"}), ` +
      `alias -> function version ${aliasAfter.version} alone; then v${next} approved: ${nextDone.status}, v${nowLive} live`,
  };
}

/**
 * A canary whose new version fails live requests: it reproduces its evaluation on the holdout set (so the holdout
 * check passes) but fails on requests with a feature beyond the holdout's range, which the drill's traffic carries.
 * The canary watch sees the new version's own error rate, the flow rolls back, and the live version serves
 * throughout.
 */
export async function canaryRollbackDrill(session: LoopSession): Promise<DrillResult> {
  const live = await requireLive(session, 'canary rollback');
  const holdout = await session.holdout(live.version);
  const bounds = holdout.features.map((_, j) => Math.max(...holdout.rows.map((row) => row[j])));
  const fragile = await rangeFragileArchive(await readArtifact(session, live), bounds);
  const version = await registerLike(session, live, 'fault drill: fails on requests beyond the holdout range', fragile);
  // Every request of 20 rows carries one row whose first feature is just beyond what the holdout set holds.
  const instances = holdout.rows.slice(0, 400).map((row, i) => (i % 20 === 0 ? [bounds[0] + 1, ...row.slice(1)] : [...row]));

  const since = Date.now();
  await session.approve(version, 'fault drill: a canary that fails live requests');
  const [deployment] = await deploymentsSince(session, since);
  let requests = 0;
  let failures = 0;
  const primaries = new Set<string>();
  const traffic = (async () => {
    while (deployment.status === 'RUNNING') {
      const sent = await session.sendTraffic(instances, { batch: 20, concurrency: 2 });
      requests += sent.requests;
      failures += sent.failures;
      primaries.add(session.liveAlias().version);
      await sleep(10);
    }
  })();
  const done = await finished(deployment);
  await traffic;
  const status = (await drillRegistry(session).getVersion(session.model, version)).status;
  const alias = session.liveAlias();
  const cause = done.events.find((e) => e.type === 'StateEntered' && e.state === 'CanaryAlarm') ? 'CanaryAlarm' : 'no canary alarm';
  // The live version's own 5xx answers during the drill (the handler's metrics by model version): none.
  const liveFailures = session.twin.metrics
    .query(
      { namespace: `MLOps/${session.config.team}`, metricName: 'InvocationErrors', dimensions: { Model: session.model, ModelVersion: String(live.version) }, stat: 'Sum', periodMs: DEPLOYMENT_TIMEOUT_MS },
      since,
      Date.now() + 1,
    )
    .values.reduce((a, b) => a + b, 0);
  const ok =
    done.status === 'FAILED' &&
    done.error === 'CanaryAlarm' &&
    status === 'rolled_back' &&
    alias.version === live.functionVersion &&
    Object.keys(alias.routing).length === 0 &&
    [...primaries].every((v) => v === live.functionVersion) &&
    liveFailures === 0 &&
    failures > 0 &&
    failures < requests;
  return {
    name: 'canary rollback',
    ok,
    line:
      `v${version} (fails beyond the holdout range) passed the holdout check, then ${cause} during the bake: ${failures} of ${requests} requests failed, ` +
      `none by v${live.version} (${liveFailures} 5xx); execution ${done.status}, v${version} ${status}, alias -> function version ${alias.version} (v${live.version}) throughout`,
  };
}

