import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ModelRegistry } from '../../../lambdas/registry/registry';
import { type LocalDynamo, lambdaEnvFor, startDynalite } from '../../helpers/dynalite';
import { registration, registryOn } from '../registry/fixtures';

let dynamo: LocalDynamo;
let registry: ModelRegistry;
let handler: (event: unknown) => Promise<{ model: string; version: number; status: string; created: boolean }>;

beforeAll(async () => {
  dynamo = await startDynalite();
  registry = registryOn(dynamo);
  for (const [name, value] of Object.entries(lambdaEnvFor(dynamo))) vi.stubEnv(name, value);
  ({ handler } = await import('../../../lambdas/pipeline/register.handler'));
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await dynamo.stop();
});

/** The Register state's input as the TrainingPipeline builds it. */
function registerEvent(n: number, approve: boolean) {
  const { clientToken: _token, description: _d, executionName, ...rest } = registration('card-fraud', n);
  return { ...rest, executionName: executionName!, approve };
}

describe('pipeline Register step', () => {
  it('registers a version pending approval with the execution as token and run record', async () => {
    const out = await handler(registerEvent(1, false));
    expect(out).toEqual({ model: 'card-fraud', version: 1, status: 'pending_approval', created: true });
    expect((await registry.getVersion('card-fraud', 1)).clientToken).toBe('run-1');
    expect(await registry.listRuns('card-fraud')).toEqual([expect.objectContaining({ executionName: 'run-1', status: 'succeeded' })]);
  });

  it('auto-approves with the pipeline as actor, and a retried step changes nothing', async () => {
    const out = await handler(registerEvent(2, true));
    expect(out).toMatchObject({ version: 2, status: 'approved', created: true });
    const retried = await handler(registerEvent(2, true));
    expect(retried).toEqual({ model: 'card-fraud', version: 2, status: 'approved', created: false });
    const { audit } = await registry.getVersionDetail('card-fraud', 2);
    expect(audit.map((r) => [r.to, r.actor])).toEqual([
      ['pending_approval', 'pipeline:run-2'],
      ['approved', 'pipeline:auto-approve'],
    ]);
    expect((await registry.getModel('card-fraud')).latestVersion).toBe(2);
  });

  it('refuses malformed input naming the fields', async () => {
    await expect(handler({ executionName: 'x', model: 'card-fraud' })).rejects.toThrow(
      /invalid Register input: artifactUri: .*; artifactSha256: .*; approve: /,
    );
    await expect(handler({ ...registerEvent(3, false), artifactUri: 'https://example.com/m' })).rejects.toThrow(
      'invalid registration: artifactUri: expected an s3://bucket/key URI',
    );
    expect((await registry.getModel('card-fraud')).latestVersion).toBe(2);
  });
});
