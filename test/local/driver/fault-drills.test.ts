import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { abortDrill, canaryRollbackDrill, concurrentApprovalsDrill, duplicateEventDrill, restoreDrill } from '../../../local/driver/drills/deployment-drills';
import { run as deploymentsCommand } from '../../../bin/commands/deployments';
import { run as loginCommand } from '../../../bin/commands/login';
import { deploymentsSince, drillRegistry, entered, finished, registerLike, requireLive } from '../../../local/driver/drills/drill-support';
import { waitFor } from '../../../local/driver/loop-session';
import { deadLetterDrill } from '../../../local/driver/drills/dead-letter-drill';
import { stackUpdateDrill } from '../../../local/driver/drills/stack-update-drill';
import { synthesizeConfig } from '../../../local/driver/synth';
import { runLoop } from '../../../local/driver/full-loop';
import { LoopSession } from '../../../local/driver/loop-session';
import { teamDataset } from '../../../local/driver/team-dataset';
import { startTeamTwin, type TeamTwin } from '../../helpers/twin';

/**
 * The fault drills on the example team's synthesized stack in the twin, in the order `--fault-drills` runs them (one
 * twin for all: each synthesis of the team app costs about half a minute), each after the previous left a live version. Time x60: a 5-minute canary bake lasts 5 s, longer than the
 * inference handler's once-a-second metric flush, as a real bake is longer than CloudWatch's metric delay.
 */
describe('fault drills', () => {
  let team: TeamTwin;
  let session: LoopSession;
  const scratch = mkdtempSync(join(tmpdir(), 'drills-'));

  beforeAll(async () => {
    // `mlops login` (the restore drill, the CLI abort) keeps its token here, not in the home directory.
    vi.stubEnv('MLOPS_HOME', join(scratch, 'home'));
    vi.stubEnv('MLOPS_TOKEN', '');
    team = await startTeamTwin({ timeScale: 60, stateFile: join(scratch, 'twin.json') });
    session = new LoopSession(team.twin, team.config);
    await runLoop(session, { until: 'deployed', dataset: teamDataset(team.config, { rows: 4000 }), driftShift: 2, report: () => undefined });
  }, 600_000);

  afterAll(async () => {
    vi.unstubAllEnvs();
    session?.close();
    await team?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const audit = async (version: number) => (await drillRegistry(session).getVersionDetail(session.model, version)).audit.map((a) => `${a.from}->${a.to}`);

  it('a stack update of platform config while a version serves: no failed request, the same version served', async () => {
    const result = await stackUpdateDrill(session, (config, outdir) => synthesizeConfig(resolve(__dirname, '..', '..', '..'), config, outdir));
    expect(result.ok, result.line).toBe(true);
  }, 300_000);

  it('two approvals at once: one deploys, the other waits its turn and deploys after it, nothing rolled back', async () => {
    const result = await concurrentApprovalsDrill(session);
    expect(result.ok, result.line).toBe(true);
    // Which of v2 and v3 goes first is the race's to decide: the earlier is retired by the later, which stays live.
    const deployed = ['null->pending_approval', 'pending_approval->approved', 'approved->deploying', 'deploying->live'];
    expect([await audit(2), await audit(3)].sort((a, b) => b.length - a.length)).toEqual([[...deployed, 'live->retired'], deployed]);
  }, 300_000);

  it('a duplicate approval event: one execution deploys the version, the other ends DeploymentNotStarted touching nothing', async () => {
    const result = await duplicateEventDrill(session);
    expect(result.ok, result.line).toBe(true);
  }, 300_000);

  it('mlops models rollback takes the Restore path: the previous version is live and served again', async () => {
    const result = await restoreDrill(session);
    expect(result.ok, result.line).toBe(true);
  }, 300_000);

  it('an abort mid-canary stops the execution, rolls the version back, puts the alias back, and the next approval deploys', async () => {
    const result = await abortDrill(session);
    expect(result.ok, result.line).toBe(true);
  }, 300_000);

  it('a canary that fails live requests is rolled back by the canary watch while the live version serves', async () => {
    const result = await canaryRollbackDrill(session);
    expect(result.ok, result.line).toBe(true);
  }, 300_000);

  it('mlops deployments abort (as the signed-in operator) stops the deployment in progress through the approval API', async () => {
    const live = await requireLive(session, 'cli abort');
    const version = await registerLike(session, live, 'aborted with the CLI');
    const since = Date.now();
    await session.approve(version, 'to be aborted with the CLI');
    const [deployment] = await deploymentsSince(session, since);
    await waitFor('canary', 60_000, () => (entered(deployment).includes('Bake') ? true : undefined), 20);
    const out: string[] = [];
    const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => out.push(s) };
    expect(await loginCommand(['--user', 'operators@localhost', '--twin', join(scratch, 'twin.json')], io), out.join('\n')).toBe(0);
    out.length = 0;
    const code = await deploymentsCommand(['abort', session.model, '--comment', 'stop it', '--twin', join(scratch, 'twin.json')], io);
    expect(code, out.join('\n')).toBe(0);
    expect(out.join('\n')).toMatch(new RegExp(`^card-fraud v${version}: deployment aborted \\(execution ${deployment.name} stopped\\); v${version} rolled_back, `));
    expect((await finished(deployment)).status).toBe('ABORTED');
    expect(session.liveAlias()).toEqual({ version: live.functionVersion, routing: {} });
    const audit = (await drillRegistry(session).getVersionDetail(session.model, version)).audit.at(-1);
    expect(audit).toMatchObject({ from: 'deploying', to: 'rolled_back', actor: `deployment:${deployment.name}` });
    // Released by the abort itself, or first by the execution's ABORTED event (whose error is the abort's).
    expect(audit?.reason).toMatch(/^ExecutionAborted: (DeploymentAborted: )?aborted by operators@localhost: stop it$/);
    // Nothing left to abort: refused, naming why.
    const again: string[] = [];
    expect(await deploymentsCommand(['abort', session.model, '--comment', 'again', '--twin', join(scratch, 'twin.json')], { stdout: (s) => again.push(s), stderr: (s) => again.push(s) })).toBe(1);
    expect(again.join('\n')).toContain('nothing of card-fraud is deploying; there is no deployment to abort');
  }, 300_000);

  it('an event its target refuses on every attempt goes to the dead-letter queue, whose alarm goes to ALARM', async () => {
    const alarmName = 'fraud-card-fraud-dead-letters-deployment-flow-release-dlq-critical';
    expect(team.twin.alarms.states.get(alarmName)?.value).not.toBe('ALARM');

    const result = await deadLetterDrill(session);

    expect(result).toEqual({
      name: 'dead letter',
      ok: true,
      line: expect.stringMatching(
        new RegExp(`^release event refused by \\S+ReleaseFunction\\S* 3 times \\(.+\\) -> \\S+ReleaseDlq\\S* \\(1 message\\) -> alarm ${alarmName} ALARM$`),
      ),
    });
    // The event went through the rule, Lambda's three attempts and the queue: the timeline shows each hop.
    const timeline = team.twin.timeline.entries.map((e) => e.message);
    expect(timeline.filter((m) => /ReleaseFunction.*asynchronous invocation .* failed \(attempt \d of 3\)/.test(m))).toHaveLength(3);
    expect(timeline.some((m) => /-> dead-letter queue .*ReleaseDlq/.test(m))).toBe(true);
    // It deletes its own message afterwards, so the queue empties and the alarm can recover.
    const queue = team.twin.sqs.definitions.find((q) => q.name.includes('ReleaseDlq'))!;
    expect(team.twin.sqs.counts(queue)).toEqual({ visible: 0, notVisible: 0, delayed: 0 });
  }, 300_000);
});
