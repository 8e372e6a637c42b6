import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentsSince, drillRegistry, entered, finished, registerLike, requireLive } from '../../local/driver/drills/drill-support';
import { runLoop } from '../../local/driver/full-loop';
import { LoopSession } from '../../local/driver/loop-session';
import { teamDataset } from '../../local/driver/team-dataset';
import { startTeamTwin, type TeamTwin } from '../helpers/twin';

/**
 * The branches of the example team's state machines that no loop or drill takes: input that is no trigger or no
 * registry event the flow handles, a restore that cannot be done, a rollback that fails itself, and each step of a
 * deployment or a training run whose function's environment dies under it (the twin's crashInvocations). Each runs
 * the synthesized state machine in the twin (`.ci/run` checks that every state and transition of them ran in some
 * test: tools/state-coverage/state-coverage.ts).
 */
describe("the team stack's state machines, on input and faults the loop never meets", () => {
  let team: TeamTwin;
  let session: LoopSession;
  const scratch = mkdtempSync(join(tmpdir(), 'branches-'));

  beforeAll(async () => {
    team = await startTeamTwin({ timeScale: 600, stateFile: join(scratch, 'twin.json') });
    session = new LoopSession(team.twin, team.config);
    await runLoop(session, { until: 'deployed', dataset: teamDataset(team.config, { rows: 4000 }), driftShift: 2, report: () => undefined });
  }, 600_000);

  afterAll(async () => {
    session?.close();
    await team?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const start = (output: string, input: unknown) => finished(team.twin.states.start(team.twin.output(output), input));

  /** The name of the function a state machine's Task state invokes (its Resource, the function's ARN). */
  const functionOf = (output: string, state: string) => {
    const { definition } = team.twin.states.machine(team.twin.output(output));
    return String((definition.States[state] as { Resource: string }).Resource.split(':').pop());
  };

  /** Approves a new version like the live one, its function's environment dying in `state`; the run it starts, ended. */
  async function deployCrashingIn(state: string, when?: (event: unknown) => boolean) {
    const live = await requireLive(session, 'branches');
    const version = await registerLike(session, live, `its ${state} step's environment dies`);
    const restore = team.twin.lambda.crashInvocations(functionOf('DeploymentStateMachineArn', state), when);
    try {
      const since = Date.now();
      await drillRegistry(session).approve(session.model, version, { actor: 'reviewer@example.com', reason: 'branch test' });
      const [run] = await deploymentsSince(session, since);
      return { live, version, run: await finished(run) };
    } finally {
      restore();
    }
  }

  it('refuses a training run whose trigger is none the pipeline knows, before any job runs', async () => {
    const run = await start('TrainingStateMachineArn', { trigger: 'cron-job', reason: 'a typo in a scheduler' });
    expect(run).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
    expect(run.cause).toContain('input.trigger must be one of');
    expect(entered(run)).toEqual(['ApplyDefaults', 'Initialize', 'ValidTrigger?', 'InvalidInput']);
  });

  it('refuses a registry event it does not deploy or restore, touching nothing', async () => {
    const { version } = await requireLive(session, 'branches');
    const run = await start('DeploymentStateMachineArn', { detail: { model: session.model, version, status: 'pending_approval' } });
    expect(run).toMatchObject({ status: 'FAILED', error: 'UnexpectedEvent' });
    expect(entered(run)).toEqual(['Route', 'UnexpectedEvent']);
    expect((await requireLive(session, 'branches')).version).toBe(version);
  });

  it('fails a restore of a version the registry does not have, with the Rollback function\'s error', async () => {
    const live = await requireLive(session, 'branches');
    const run = await start('DeploymentStateMachineArn', { detail: { model: session.model, version: 99, status: 'rolled_back', previousStatus: 'live' } });
    expect(run.status).toBe('FAILED');
    expect(entered(run)).toEqual(['Route', 'ReadRolledBackVersion', 'Restore', 'RestoreFailed']);
    expect(`${run.error}: ${run.cause}`).toMatch(/version 99/);
    expect((await requireLive(session, 'branches')).version).toBe(live.version);
  });

  const weight = (event: unknown) => (event as { weightPercent?: number }).weightPercent;
  for (const [state, when] of [
    ['Prepare', undefined],
    ['Canary', (event: unknown) => weight(event) !== 100],
    ['WatchCanary', undefined],
    ['Promote', (event: unknown) => weight(event) === 100],
    ['Finalize', undefined],
  ] as const) {
    it(`rolls a deployment back when its ${state} step fails: the version rolled back, the live one serving`, async () => {
      const { live, version, run } = await deployCrashingIn(state, when);
      expect(run).toMatchObject({ status: 'FAILED', error: 'Runtime.ExitError' });
      expect(entered(run).slice(-3)).toEqual([state, 'Rollback', 'DeploymentFailed']);
      expect((await drillRegistry(session).getVersion(session.model, version)).status).toBe('rolled_back');
      expect((await requireLive(session, 'branches')).version).toBe(live.version);
      expect(session.liveAlias()).toEqual({ version: live.functionVersion, routing: {} });
    });
  }

  it('records a training run whose Register step fails as failed, with its cause', async () => {
    const restore = team.twin.lambda.crashInvocations(functionOf('TrainingStateMachineArn', 'Register'));
    try {
      const run = await finished(team.twin.states.describe(await session.startTraining('register-crash', 'branch test')));
      expect(run).toMatchObject({ status: 'FAILED', error: 'Runtime.ExitError' });
      expect(entered(run).slice(-4)).toEqual(['PassedGate?', 'Register', 'RecordFailure', 'RunFailed']);
      expect((await drillRegistry(session).listRuns(session.model)).find((r) => r.executionName === 'register-crash')).toMatchObject({ status: 'failed' });
    } finally {
      restore();
    }
  });

  it('ends RollbackFailed when the rollback itself fails: the live version names a function version that is gone', async () => {
    // GIVEN the live version's function version deleted by hand (the registry still names it)
    const live = await requireLive(session, 'branches');
    await drillRegistry(session).annotate(session.model, live.version, { functionVersion: '999' });
    // AND a new version whose archive is not the one its registration recorded, so its holdout check fails
    const version = await registerLike(session, live, 'an archive that is not the evaluated one', Buffer.from('not a model archive'));
    const since = Date.now();
    // WHEN it is approved
    await drillRegistry(session).approve(session.model, version, { actor: 'reviewer@example.com', reason: 'branch test' });
    const [run] = await deploymentsSince(session, since);
    const done = await finished(run);
    // THEN the failed check goes to Rollback, whose alias update to the gone function version fails, and the run says so
    expect(done).toMatchObject({ status: 'FAILED', error: 'RollbackFailed' });
    expect(entered(done).slice(-3)).toEqual(['HoldoutCheck', 'Rollback', 'RollbackFailed']);
    // AND the registry's part of the rollback was done: the version is rolled back, the live one stays live
    expect((await drillRegistry(session).getVersion(session.model, version)).status).toBe('rolled_back');
    expect((await requireLive(session, 'branches')).version).toBe(live.version);
  });
});
