import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalDynamo, lambdaEnvFor, startDynalite } from '../../helpers/dynalite';
import { InvalidModelOutputError } from '../../../pipelines/evaluation/invalid-model-output';
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
  it('records the failed run with the Catch error, its cause, and the reason read from the cause', async () => {
    const out = await handler({
      executionName: 'run-7',
      model: 'card-fraud',
      error: { Error: 'States.TaskFailed', Cause: '{"errorMessage":"gate failed: auc 0.61 < 0.8"}' },
    });
    expect(out).toEqual({ model: 'card-fraud', executionName: 'run-7', status: 'failed' });
    expect(await registryOn(dynamo).listRuns('card-fraud')).toEqual([
      expect.objectContaining({ status: 'failed', error: 'States.TaskFailed', reason: 'gate failed: auc 0.61 < 0.8', cause: '{"errorMessage":"gate failed: auc 0.61 < 0.8"}' }),
    ]);
  });

  it('GIVEN Evaluate refused what the container wrote WHEN the Catch records it THEN the row carries the error code and the reason, and nothing is registered', async () => {
    // A Lambda function error reaches the Catch as Error = the error's name (errorType) and Cause = the error as JSON.
    const refused = new InvalidModelOutputError('the training container wrote no model.onnx to /opt/ml/model (found: metadata.json)');
    const cause = JSON.stringify({ errorType: refused.name, errorMessage: refused.message, trace: [] });
    await handler({ executionName: 'run-8', model: 'machine-fault', error: { Error: refused.name, Cause: cause } });

    const registry = registryOn(dynamo);
    expect(await registry.listRuns('machine-fault')).toEqual([expect.objectContaining({ status: 'failed', error: 'InvalidModelOutputError', reason: refused.message, cause })]);
    await expect(registry.listVersions('machine-fault')).rejects.toThrow('model "machine-fault" not found');
  });

  it('refuses input without an execution name', async () => {
    await expect(handler({ model: 'card-fraud', error: {} })).rejects.toThrow('invalid RecordFailure input: executionName:');
  });
});
