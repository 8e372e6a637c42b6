import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as loginCommand } from '../../../bin/commands/login';
import { run as modelsCommand } from '../../../bin/commands/models';
import type { ModelView, VersionView } from '../../../contracts/registry-api';
import { shadowModelPrefix, type ShadowRecord } from '../../../contracts/shadow-test';
import { drillRegistry, readArtifact, registerLike, requireLive } from '../../../local/driver/drills/drill-support';
import { rangeFragileArchive } from '../../../local/driver/drills/range-fragile-model';
import { runLoop } from '../../../local/driver/full-loop';
import { LoopSession, waitFor } from '../../../local/driver/loop-session';
import { teamDataset } from '../../../local/driver/team-dataset';
import { startTeamTwin, type TeamTwin } from '../../helpers/twin';

/**
 * Shadow tests on the example team's synthesized stack in the twin (time x60: the hourly report runs every minute):
 * v1 trained and deployed by the real loop, v2 registered as a copy of v1 that fails every request carrying a value
 * beyond its holdout range, put in shadow with `mlops models shadow` as a developer. Its report reaches CloudWatch,
 * the registry and `mlops models show` while v2 is still pending; live callers never see it.
 */
describe('shadow tests in the twin', () => {
  let team: TeamTwin;
  let session: LoopSession;
  const scratch = mkdtempSync(join(tmpdir(), 'shadow-e2e-'));
  const stateFile = join(scratch, 'twin.json');
  const cli = async (command: typeof modelsCommand, args: string[]) => {
    const out: string[] = [];
    const code = await command([...args, '--twin', stateFile], { stdout: (s) => out.push(s), stderr: (s) => out.push(s) });
    return { code, out: out.join('\n') };
  };
  const model = () => session.api<ModelView>('GET', `/models/${encodeURIComponent(session.model)}`);
  const versionView = (version: number) => session.api<VersionView>('GET', `/models/${encodeURIComponent(session.model)}/versions/${version}`);

  beforeAll(async () => {
    vi.stubEnv('MLOPS_HOME', join(scratch, 'home'));
    vi.stubEnv('MLOPS_TOKEN', '');
    team = await startTeamTwin({ timeScale: 60, stateFile });
    session = new LoopSession(team.twin, team.config);
    await runLoop(session, { until: 'deployed', dataset: teamDataset(team.config, { rows: 4000 }), driftShift: 2, report: () => undefined });
    const login = await cli(loginCommand, ['--user', `${team.config.access.developerGroup}@localhost`]);
    if (login.code !== 0) throw new Error(`mlops login: ${login.out}`);
  }, 600_000);

  afterAll(async () => {
    vi.unstubAllEnvs();
    session?.close();
    await team?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Every compared row the shadow function wrote for `version`. */
  async function shadowRecords(version: number): Promise<ShadowRecord[]> {
    const bucket = team.twin.output('ArtifactBucketName');
    const listed = await session.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${shadowModelPrefix(session.model)}v${version}/` }));
    const texts = await Promise.all(
      (listed.Contents ?? []).map(async ({ Key }) => (await session.s3.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body!.transformToString()),
    );
    return texts.flatMap((t) => t.split('\n').filter(Boolean).map((line) => JSON.parse(line) as ShadowRecord));
  }

  /** POST /invocations with `body`; status and body text (prediction ids aside, which name each request). */
  async function invoke(body: string): Promise<{ status: number; body: string }> {
    const response = await fetch(new URL('invocations', team.twin.output('InferenceUrl')).href, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const text = await response.text();
    const parsed = JSON.parse(text) as Record<string, unknown>;
    delete parsed.predictionIds;
    return { status: response.status, body: JSON.stringify(parsed) };
  }

  it('v2 in shadow against live v1: a report in CloudWatch, the registry and `mlops models show` before anyone approves; live answers unchanged and never failed', async () => {
    const live = await requireLive(session, 'shadow');
    const holdout = await session.holdout(live.version);
    const bounds = holdout.features.map((_, j) => Math.max(...holdout.rows.map((row) => row[j])));
    const candidate = await registerLike(session, live, 'shadow candidate: fails on values beyond the holdout range', await rangeFragileArchive(await readArtifact(session, live), bounds));
    // Requests of 10 rows; every other one carries a row whose first feature is beyond the bound (the shadow fails it),
    // two failing and two passing in turn: the traffic's two connections take the requests about alternately, each
    // mostly from its own function environment, and each environment starts copying when it reads the shadow state.
    // Failing every second request would put most failures in one environment, and the share copied would depend on
    // which one read the state first.
    const instances = holdout.rows.slice(0, 400).map((row, i) => (i % 40 === 0 || i % 40 === 10 ? [bounds[0] + 1, ...row.slice(1)] : [...row]));
    const probe = JSON.stringify({ instances: instances.slice(0, 10) });
    const before = await invoke(probe);
    expect(before.status).toBe(200);

    // WHEN a developer puts v2 in shadow with every request copied
    const started = await cli(modelsCommand, ['shadow', session.model, String(candidate), '--sample-percent', '100', '--comment', 'compare before approving']);
    expect(started.code, started.out).toBe(0);
    expect(started.out).toContain(`${session.model} v${candidate}: in shadow, 100% of live requests copied to it and compared with v${live.version}`);
    expect((await model()).shadow).toMatchObject({ version: candidate, samplePercent: 100 });

    // The live function reads the shadow state every 30 s: traffic until the first copies arrive, then the measured traffic.
    await waitFor('first shadow copies', 120_000, async () => {
      const sent = await session.sendTraffic(instances, { batch: 10, concurrency: 2 });
      expect(sent.failures, sent.firstFailure).toBe(0);
      return (await shadowRecords(candidate)).length > 0 ? true : undefined;
    });
    const traffic = await session.sendTraffic(instances, { batch: 10, concurrency: 2 });
    // THEN no live request failed, though the shadow failed half of them
    expect(traffic.failures, traffic.firstFailure).toBe(0);
    const during = await invoke(probe);
    expect(during).toEqual(before);

    // AND the compared rows: the failing requests' rows carry the shadow's error, the rest agree with the live answers
    const records = await waitFor('shadow rows settle', 60_000, async () => {
      const first = await shadowRecords(candidate);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const second = await shadowRecords(candidate);
      return second.length === first.length && second.length > 0 ? second : undefined;
    });
    const failed = records.filter((r) => r.error !== undefined);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((r) => /the shadow failed/.test(r.error!))).toBe(true);
    // Whole requests fail (onnxruntime fails the batch), about every other one (copying starts wherever the state read falls)
    const requests = new Map<string, ShadowRecord[]>();
    for (const r of records) requests.set(r.requestId, [...(requests.get(r.requestId) ?? []), r]);
    expect([...requests.values()].every((rows) => rows.every((r) => r.error) || rows.every((r) => r.shadow))).toBe(true);
    expect(failed.length / records.length).toBeGreaterThan(0.45);
    expect(failed.length / records.length).toBeLessThan(0.55);
    expect(records.filter((r) => r.shadow).every((r) => r.shadow!.label === r.live.label && Math.abs(r.shadow!.prediction - r.live.prediction) < 1e-6)).toBe(true);

    // AND the hourly report (every minute at x60) covers them: in the registry, with v2 still pending
    const view = await waitFor('shadow report', 240_000, async () => {
      const v = await versionView(candidate);
      return v.shadowReports.some((r) => r.rows === records.length) ? v : undefined;
    });
    expect(view.status).toBe('pending_approval');
    const report = view.shadowReports.find((r) => r.rows === records.length)!;
    expect(report).toMatchObject({ liveVersion: live.version, shadowVersion: candidate, errors: failed.length, agreementRate: 1 });
    expect(report.meanAbsoluteDifference).toBeLessThan(1e-6);
    expect(report.predictionPsi).toBeCloseTo(0, 6);
    expect(report.latencyP50Ms).toBeGreaterThan(0);
    expect(report.latencyP99Ms).toBeGreaterThanOrEqual(report.latencyP50Ms!);

    // AND in CloudWatch, per shadow version
    const metric = (metricName: string) =>
      team.twin.metrics.query(
        { namespace: `MLOps/${team.config.team}`, metricName, dimensions: { Model: session.model, ShadowVersion: String(candidate) }, stat: 'Maximum', periodMs: 3_600_000 },
        Date.now() - 3_600_000,
        Date.now() + 1,
      ).values;
    expect(Math.max(...metric('ShadowRows'))).toBe(records.length);
    expect(Math.max(...metric('ShadowErrors'))).toBe(failed.length);
    expect(metric('ShadowAgreementRate')).toContain(1);
    expect(metric('ShadowLatencyP99').length).toBeGreaterThan(0);

    // AND `mlops models show` prints the shadow test and its report
    const shown = await cli(modelsCommand, ['show', session.model, String(candidate)]);
    expect(shown.code, shown.out).toBe(0);
    expect(shown.out).toContain(`in shadow: v${candidate}, 100% of live requests`);
    expect(shown.out).toMatch(new RegExp(`v${live.version}\\s+${records.length}\\s+${failed.length}\\s+100\\.0%`));
    const summary = await cli(modelsCommand, ['show', session.model]);
    expect(summary.out).toContain(`in shadow: v${candidate}`);
  }, 600_000);

  it('stops on a command, on rejection and on approval, each audited', async () => {
    const registry = drillRegistry(session);
    const audits = async (version: number) => (await registry.getVersionDetail(session.model, version)).audit.map((a) => a.reason);
    const shadowed = (await model()).shadow!.version;
    // A command
    const stopped = await cli(modelsCommand, ['shadow', session.model, '--stop', '--comment', 'enough evidence']);
    expect(stopped.code, stopped.out).toBe(0);
    expect(stopped.out).toBe(`${session.model} v${shadowed}: shadow test stopped`);
    expect((await model()).shadow).toBeNull();
    expect(await audits(shadowed)).toEqual(expect.arrayContaining([expect.stringMatching(/^shadow test started \(100% .*compare before approving$/), 'shadow test stopped: enough evidence']));
    // A rejection (as the approver the session acts for)
    const started = await cli(modelsCommand, ['shadow', session.model, String(shadowed), '--comment', 'again']);
    expect(started.code, started.out).toBe(0);
    await session.api('POST', `/models/${encodeURIComponent(session.model)}/versions/${shadowed}/reject`, { comment: 'fails out-of-range requests' });
    expect((await model()).shadow).toBeNull();
    // An approval
    const live = await requireLive(session, 'shadow');
    const next = await registerLike(session, live, 'shadow candidate to approve');
    expect((await cli(modelsCommand, ['shadow', session.model, String(next), '--comment', 'compare'])).code).toBe(0);
    await session.approve(next, 'the shadow agreed');
    expect((await model()).shadow).toBeNull();
    // Nothing to stop now; a rejected version cannot run in shadow
    const none = await cli(modelsCommand, ['shadow', session.model, '--stop', '--comment', 'again']);
    expect(none.code).toBe(1);
    expect(none.out).toContain('has no shadow test to stop');
    const refused = await cli(modelsCommand, ['shadow', session.model, String(shadowed), '--comment', 'again']);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(`v${shadowed} is rejected: only a version pending approval can run in shadow`);
  }, 300_000);
});
