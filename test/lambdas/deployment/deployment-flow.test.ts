import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeploymentSteps } from '../../../lambdas/deployment/deployment-steps';
import { HoldoutParityError } from '../../../lambdas/deployment/errors';
import { checkHoldoutParity, HOLDOUT_BATCH_ROWS, type HoldoutParityDeps, NO_CAPTURE_HEADER } from '../../../lambdas/deployment/holdout-parity';
import type { ModelRegistry } from '../../../lambdas/registry/registry';
import { parseS3Uri } from '../../../lambdas/shared/storage-layout';
import { getObjectBytes } from '../../../pipelines/common/s3';
import { computeMetrics } from '../../../pipelines/evaluation/metrics';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { by, registration, registryOn } from '../registry/fixtures';
import { FakeInferenceFunction } from './fake-inference-function';
import { type LocalS3, startS3rver } from '../../helpers/s3rver';

const MODEL = 'card-fraud';
const ROWS = 2 * HOLDOUT_BATCH_ROWS + 137;
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Deterministic holdout rows (features, label): the label mostly follows the first feature. */
function holdoutRows(): { rows: number[][]; labels: number[] } {
  let seed = 12345;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < ROWS; i++) {
    const row = [next(), next(), Math.round((next() + 1) * 2)];
    rows.push(row);
    labels.push(row[0] + 0.6 * next() > 0.1 ? 1 : 0);
  }
  return { rows, labels };
}

/** Versions 1 and 2 are good models; version 3 reads its features in the wrong order. */
const predict = (modelVersion: number, row: number[]) =>
  modelVersion === 3 ? sigmoid(3 * row[2] - 3) : sigmoid(3 * row[0] + 0.2 * row[1]);

let dynamo: LocalDynamo;
let s3: LocalS3;
let registry: ModelRegistry;
let recordedAuc: number;

beforeAll(async () => {
  [dynamo, s3] = await Promise.all([startDynalite(), startS3rver(['artifacts'])]);
  registry = registryOn(dynamo);
  const { rows, labels } = holdoutRows();
  const csv = ['amount,hour,merchant_category,is_fraud', ...rows.map((r, i) => [...r, labels[i]].join(','))].join('\n');
  recordedAuc = computeMetrics('binary-classification', labels, rows.map((r) => predict(1, r))).auc;
  for (const n of [1, 2, 3]) {
    await s3.put('artifacts', `runs/run-${n}/processed/holdout/data.csv`, csv);
    await registry.register(registration(MODEL, n, { metrics: { holdout: { auc: recordedAuc } } }), 'pipeline:test');
  }
});
afterAll(() => Promise.all([dynamo.stop(), s3.stop()]));

const fn = new FakeInferenceFunction(predict);
const steps = () => new DeploymentSteps(registry, fn, MODEL);
const parityDeps = (tolerance = 0.001): HoldoutParityDeps => ({
  registry,
  inference: fn,
  tolerance,
  readObject: (uri) => {
    const { bucket, key } = parseS3Uri(uri);
    return getObjectBytes(s3.client, bucket, key);
  },
});

describe('DeploymentFlow steps', () => {
  it('deploys the first version straight to 100% and makes it live', async () => {
    await registry.approve(MODEL, 1, by('alice'));
    const target = { model: MODEL, version: 1, execution: 'deploy-1' };

    expect(await steps().begin(target)).toEqual({ model: MODEL, version: 1, status: 'deploying' });
    const { functionVersion } = await steps().prepareVersion(target);
    expect(functionVersion).toBe('2');
    expect(fn.versions.get('2')).toMatchObject({ MODEL_VERSION: '1', CAPTURE_SAMPLE_PERCENT: '10' });
    expect(await steps().prepareVersion(target)).toEqual({ functionVersion: '2' }); // a retry publishes nothing new

    const parity = await checkHoldoutParity(parityDeps(), { ...target, functionVersion });
    expect(parity).toMatchObject({ metric: 'auc', recorded: recordedAuc, difference: 0, rows: ROWS });
    expect(fn.requests.map((r) => r.rows)).toEqual([HOLDOUT_BATCH_ROWS, HOLDOUT_BATCH_ROWS, 137]);
    expect(fn.requests.every((r) => r.headers[NO_CAPTURE_HEADER] === 'off')).toBe(true);

    expect(await steps().shiftTraffic({ ...target, functionVersion, weightPercent: 10 })).toMatchObject({ weightPercent: 100 });
    expect(fn.alias).toEqual({ functionVersion: '2', weights: {} });
    expect(await steps().finalize(target)).toEqual({ model: MODEL, version: 1, status: 'live', retiredVersion: null });
    expect((await registry.getVersionDetail(MODEL, 1)).audit.at(-1)).toMatchObject({ to: 'live', actor: 'deployment:deploy-1' });
  });

  it('canaries the second version beside the live one, promotes it and retires the first', async () => {
    await registry.approve(MODEL, 2, by('alice'));
    const target = { model: MODEL, version: 2 };
    await steps().begin(target);
    const { functionVersion } = await steps().prepareVersion(target);
    await checkHoldoutParity(parityDeps(), { ...target, functionVersion });

    await steps().shiftTraffic({ ...target, functionVersion, weightPercent: 10 });
    expect(fn.alias).toEqual({ functionVersion: '2', weights: { [functionVersion]: 0.1 } });
    await expect(steps().finalize(target)).rejects.toThrow(/with a canary, not 3 alone; promote before finalizing/);

    await steps().shiftTraffic({ ...target, functionVersion, weightPercent: 100 });
    expect(fn.alias).toEqual({ functionVersion, weights: {} });
    expect(await steps().finalize(target)).toMatchObject({ status: 'live', retiredVersion: 1 });
    expect((await registry.getVersion(MODEL, 1)).status).toBe('retired');
  });

  it('stops a version that does not reproduce its evaluation and rolls it back', async () => {
    await registry.approve(MODEL, 3, by('alice'));
    const target = { model: MODEL, version: 3, execution: 'deploy-3' };
    await steps().begin(target);
    const { functionVersion } = await steps().prepareVersion(target);

    const failure = await checkHoldoutParity(parityDeps(), { ...target, functionVersion }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(HoldoutParityError);
    expect((failure as Error).message).toMatch(
      new RegExp(`card-fraud v3 on function version ${functionVersion}: holdout auc is 0\\.\\d+, evaluation recorded ${recordedAuc}; difference .* exceeds the tolerance 0.001`),
    );

    // Step Functions hands the Catch's error to Rollback.
    const cause = JSON.stringify({ errorType: 'HoldoutParityError', errorMessage: (failure as Error).message });
    const result = await steps().rollback({ ...target, error: { Error: 'HoldoutParityError', Cause: cause } });
    expect(result).toEqual({ model: MODEL, version: 3, status: 'rolled_back', aliasFunctionVersion: '3', registryChanged: true });
    expect(fn.alias).toEqual({ functionVersion: '3', weights: {} });
    expect((await registry.getModel(MODEL)).liveVersion).toBe(2);
    expect((await registry.getVersionDetail(MODEL, 3)).audit.at(-1)).toMatchObject({
      from: 'deploying',
      to: 'rolled_back',
      actor: 'deployment:deploy-3',
      reason: `HoldoutParityError: ${(failure as Error).message}`,
    });
  });

  it('restores the previous version on the alias after the live one is rolled back in the registry', async () => {
    await registry.rollbackLive(MODEL, by('carol', 'complaints'));
    const result = await steps().rollback({ model: MODEL, version: 2 });
    expect(result).toEqual({ model: MODEL, version: 2, status: 'rolled_back', aliasFunctionVersion: '2', registryChanged: false });
    expect(fn.alias).toEqual({ functionVersion: '2', weights: {} });
    expect((await registry.getModel(MODEL)).liveVersion).toBe(1);
  });

  it('passes parity within a tolerance and refuses a version without a holdout set', async () => {
    await registry.register(registration(MODEL, 4, { holdoutUri: undefined, primaryMetric: undefined }), 'pipeline:test');
    await expect(checkHoldoutParity(parityDeps(), { model: MODEL, version: 4, functionVersion: '2' })).rejects.toThrow(
      'card-fraud v4 has no holdout set recorded (holdoutUri); parity cannot be verified',
    );
    await expect(checkHoldoutParity(parityDeps(), { model: MODEL, version: 3, functionVersion: '2' })).rejects.toThrow(
      'function version 2 serves model v1, not v3',
    );
  });

  it('refuses steps for another model or a version that is not deploying', async () => {
    await expect(steps().begin({ model: 'other-model', version: 1 })).rejects.toThrow(
      'this deployment flow deploys model "card-fraud", got "other-model"',
    );
    await expect(steps().prepareVersion({ model: MODEL, version: 4 })).rejects.toThrow('card-fraud v4 is pending_approval, not deploying');
    await expect(steps().begin({ model: MODEL, version: 4 })).rejects.toThrow('from pending_approval to deploying');
  });
});
