import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalDynamo, lambdaEnvFor, startDynalite } from '../../helpers/dynalite';
import { registryOn } from '../registry/fixtures';

let dynamo: LocalDynamo;
let handler: (event: unknown) => Promise<unknown>;

beforeAll(async () => {
  dynamo = await startDynalite();
  for (const [name, value] of Object.entries(lambdaEnvFor(dynamo))) vi.stubEnv(name, value);
  ({ handler } = await import('../../../lambdas/pipeline/record-failure.handler'));
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await dynamo.stop();
});

describe('pipeline RecordFailure step', () => {
  it('records the failed run with the Catch error and cause', async () => {
    const out = await handler({
      executionName: 'run-7',
      model: 'card-fraud',
      error: { Error: 'States.TaskFailed', Cause: '{"errorMessage":"gate failed: auc 0.61 < 0.8"}' },
    });
    expect(out).toEqual({ model: 'card-fraud', executionName: 'run-7', status: 'failed' });
    expect(await registryOn(dynamo).listRuns('card-fraud')).toEqual([
      expect.objectContaining({ status: 'failed', error: 'States.TaskFailed', cause: '{"errorMessage":"gate failed: auc 0.61 < 0.8"}' }),
    ]);
  });

  it('refuses input without an execution name', async () => {
    await expect(handler({ model: 'card-fraud', error: {} })).rejects.toThrow('invalid RecordFailure input: executionName:');
  });
});
