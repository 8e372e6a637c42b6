import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ACCESS_POLICY, type Role } from '../../../contracts/access-policy';
import type { ShadowReport } from '../../../contracts/shadow-test';
import { handleApiRequest } from '../../../lambdas/registry/api';
import type { ModelRegistry } from '../../../lambdas/registry/registry';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { by, registration, registryOn } from './fixtures';

let dynamo: LocalDynamo;
let registry: ModelRegistry;
beforeAll(async () => {
  dynamo = await startDynalite();
  registry = registryOn(dynamo);
});
afterAll(() => dynamo.stop());

const call = async (roles: Role[], method: string, path: string, body?: unknown) => {
  const caller = { issuer: 'https://issuer.example', subject: roles.join('-') || 'reader', email: `${roles.join('-') || 'reader'}@example.com`, roles };
  const response = await handleApiRequest({ registry, access: DEFAULT_ACCESS_POLICY }, { method, path, caller, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.statusCode, body: JSON.parse(response.body) };
};

/** GIVEN `model` with v1 live and v2 pending approval. */
async function liveAndPending(model: string) {
  for (const n of [1, 2]) await registry.register(registration(model, n), 'pipeline:test');
  await registry.approve(model, 1, by('alice'));
  await registry.beginDeployment(model, 1, by('deployment'), 'deploy-1');
  await registry.finalizeDeployment(model, 1, by('deployment'));
}

const report = (windowEnd: string): ShadowReport => ({
  liveVersion: 1,
  shadowVersion: 2,
  windowStart: '2026-12-03T09:00:00.000Z',
  windowEnd,
  rows: 40,
  errors: 1,
  agreementRate: 0.95,
  meanAbsoluteDifference: 0.02,
  predictionPsi: 0.01,
  latencyP50Ms: 3,
  latencyP99Ms: 9,
});

describe('shadow tests through the approval API', () => {
  it('a developer or an approver starts one; the model shows it and the version\'s audit trail says who and why, status unchanged', async () => {
    await liveAndPending('shadow-start');
    const started = await call(['developer'], 'POST', '/models/shadow-start/versions/2/shadow', { comment: 'before approving', samplePercent: 25 });
    expect(started).toEqual({ status: 200, body: { model: 'shadow-start', version: 2, liveVersion: 1, samplePercent: 25 } });
    const model = await call([], 'GET', '/models/shadow-start');
    expect(model.body.shadow).toMatchObject({ version: 2, samplePercent: 25, startedBy: 'developer@example.com' });
    const version = await call([], 'GET', '/models/shadow-start/versions/2');
    expect(version.body.status).toBe('pending_approval');
    expect(version.body.audit.at(-1)).toMatchObject({
      from: 'pending_approval',
      to: 'pending_approval',
      actor: 'developer@example.com',
      reason: 'shadow test started (25% of live requests, compared with v1): before approving',
    });
    // An approver may restart it (the default share), and the audit chain stays intact
    expect((await call(['approver'], 'POST', '/models/shadow-start/versions/2/shadow', { comment: 'wider' })).body.samplePercent).toBe(10);
    expect(await registry.verifyAudit('shadow-start')).toMatchObject({ ok: true });
  });

  it('refuses a caller with neither role, naming both', async () => {
    await liveAndPending('shadow-roles');
    const refused = await call(['operator'], 'POST', '/models/shadow-roles/versions/2/shadow', { comment: 'x' });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/^starting a shadow test, which the approver role also allows, needs the developer role \(group "developers"\)/);
    expect((await call([], 'GET', '/models/shadow-roles')).body.shadow).toBeNull();
  });

  it('refuses what cannot run in shadow, each with a reason', async () => {
    await liveAndPending('shadow-refusals');
    await registry.register(registration('shadow-refusals', 3), 'pipeline:test');
    expect((await call(['developer'], 'POST', '/models/shadow-refusals/versions/1/shadow', { comment: 'x' })).body.message).toBe(
      'shadow-refusals v1 is live: only a version pending approval can run in shadow',
    );
    expect((await call(['developer'], 'POST', '/models/shadow-refusals/versions/2/shadow', { comment: 'x', samplePercent: 0 })).body.message).toMatch(/samplePercent must be above 0/);
    expect((await call(['developer'], 'POST', '/models/shadow-refusals/versions/2/shadow', {})).body.message).toMatch(/comment/);
    await call(['developer'], 'POST', '/models/shadow-refusals/versions/2/shadow', { comment: 'x' });
    const second = await call(['developer'], 'POST', '/models/shadow-refusals/versions/3/shadow', { comment: 'x' });
    expect(second).toEqual({ status: 409, body: { error: 'ConflictError', message: 'shadow-refusals v2 is in shadow; stop it first (one shadow test per model)' } });
    await registry.register(registration('no-live', 1), 'pipeline:test');
    expect((await call(['developer'], 'POST', '/models/no-live/versions/1/shadow', { comment: 'x' })).body.message).toBe(
      'model "no-live" has no live version for a shadow to be compared with',
    );
  });

  it('stops on a command, on approval and on rejection of the shadow version', async () => {
    await liveAndPending('shadow-stops');
    await registry.register(registration('shadow-stops', 3), 'pipeline:test');
    const shadowOf = async () => (await call([], 'GET', '/models/shadow-stops')).body.shadow;
    await call(['developer'], 'POST', '/models/shadow-stops/versions/2/shadow', { comment: 'x' });
    expect(await call(['developer'], 'POST', '/models/shadow-stops/shadow/stop', { comment: 'seen enough' })).toEqual({ status: 200, body: { model: 'shadow-stops', version: 2 } });
    expect(await shadowOf()).toBeNull();
    expect((await registry.getVersionDetail('shadow-stops', 2)).audit.at(-1)?.reason).toBe('shadow test stopped: seen enough');
    expect((await call(['developer'], 'POST', '/models/shadow-stops/shadow/stop', { comment: 'again' })).status).toBe(409);

    await call(['developer'], 'POST', '/models/shadow-stops/versions/2/shadow', { comment: 'x' });
    await call(['approver'], 'POST', '/models/shadow-stops/versions/2/reject', { comment: 'worse' });
    expect(await shadowOf()).toBeNull();

    await call(['developer'], 'POST', '/models/shadow-stops/versions/3/shadow', { comment: 'x' });
    await call(['approver'], 'POST', '/models/shadow-stops/versions/3/approve', { comment: 'better' });
    expect(await shadowOf()).toBeNull();
  });

  it('keeps the newest 24 hourly reports on the version, one per window, shown by the API', async () => {
    await liveAndPending('shadow-reports');
    for (let h = 0; h < 26; h++) await registry.recordShadowReport('shadow-reports', report(`2026-12-0${1 + Math.floor(h / 24)}T${String(h % 24).padStart(2, '0')}:00:00.000Z`));
    await registry.recordShadowReport('shadow-reports', { ...report('2026-12-02T01:00:00.000Z'), rows: 41 });
    const { body } = await call([], 'GET', '/models/shadow-reports/versions/2');
    expect(body.shadowReports).toHaveLength(24);
    expect(body.shadowReports.at(-1)).toMatchObject({ windowEnd: '2026-12-02T01:00:00.000Z', rows: 41 });
    expect(body.shadowReports[0].windowEnd).toBe('2026-12-01T02:00:00.000Z');
    // Not a decision: no audit row
    expect((await registry.getVersionDetail('shadow-reports', 2)).audit.map((a) => a.to)).toEqual(['pending_approval']);
  });
});
