import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetAliasCommand, GetFunctionConfigurationCommand, LambdaClient, ListVersionsByFunctionCommand } from '@aws-sdk/client-lambda';
import { CfnOutput, Duration, type Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeploymentSteps } from '../../../lambdas/deployment/deployment-steps';
import { HoldoutParityError } from '../../../lambdas/deployment/errors';
import { checkHoldoutParity, HOLDOUT_BATCH_ROWS, type HoldoutParityDeps, NO_CAPTURE_HEADER } from '../../../lambdas/deployment/holdout-parity';
import { LambdaInferenceFunction } from '../../../lambdas/deployment/inference-function';
import type { ModelRegistry } from '../../../lambdas/registry/registry';
import { parseS3Uri } from '../../../lambdas/shared/storage-layout';
import { LIVE_ALIAS_NAME } from '../../../lib/lambda-inference';
import { waitFor } from '../../../local/driver/loop-session';
import { LOCAL_CREDENTIALS } from '../../../local/services/aws-environment';
import { Twin } from '../../../local/twin';
import { packModelArchive } from '../../../pipelines/common/model-archive';
import { getObjectBytes } from '../../../pipelines/common/s3';
import { encodeModel, floatInfo, floatTensor, node } from '../../../pipelines/trainer/onnx/graph';
import { sha256Hex } from '../../../lambdas/inference/model-store';
import { modelMetadataSchema } from '../../../lambdas/shared/model-metadata';
import { computeMetrics } from '../../../pipelines/evaluation/metrics';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { synthesize } from '../../local/support/synth';
import { by, registration, registryOn } from '../registry/fixtures';
import { type LocalS3, startS3rver } from '../../helpers/s3rver';

const MODEL = 'card-fraud';
const ROWS = 2 * HOLDOUT_BATCH_ROWS + 137;

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

/**
 * The models, as JavaScript the inference function runs: versions 1 and 2 are good models; version 3 reads its
 * features in the wrong order. The test evaluates the same source to record the evaluation's metric.
 */
const MODELS_JS = `
const sigmoid = (z) => 1 / (1 + Math.exp(-z));
const predict = (modelVersion, row) => (modelVersion === 3 ? sigmoid(3 * row[2] - 3) : sigmoid(3 * row[0] + 0.2 * row[1]));`;
const predict = new Function(`${MODELS_JS}\nreturn predict;`)() as (modelVersion: number, row: number[]) => number;

/**
 * The registered model of every version: versions 1 and 2's JavaScript as ONNX, `sigmoid([amount, hour,
 * merchant_category] · [3, 0.2, 0])`, which the holdout check runs itself for the evaluation's probabilities.
 */
async function registeredArchive(): Promise<Buffer> {
  const onnx = encodeModel(
    {
      name: 'deployment-flow-test',
      node: [node('MatMul', ['features', 'weights'], ['z']), node('Sigmoid', ['z'], ['probabilities'])],
      input: [floatInfo('features', ['N', 3])],
      output: [floatInfo('probabilities', ['N', 1])],
      initializer: [floatTensor('weights', [3, 1], [3, 0.2, 0])],
    },
    'versions 1 and 2 of the deployment flow test',
  );
  const features = ['amount', 'hour', 'merchant_category'].map((name) => ({ name, type: 'numeric' as const }));
  const metadata = { inputName: 'features', features, task: 'binary-classification', labels: [0, 1], outputName: 'probabilities', algorithm: 'logistic' };
  return packModelArchive(onnx, modelMetadataSchema.parse(metadata));
}

/**
 * The inference function: answers a function URL event like lambdas/inference (the contract holdout-parity.ts
 * parses) with the model its MODEL_VERSION names, and logs each request so the test can see what was sent.
 */
const INFERENCE_CODE = `${MODELS_JS}
exports.handler = async (event) => {
  const { instances } = JSON.parse(event.body);
  console.log('REQUEST ' + JSON.stringify({ functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION, headers: event.headers, rows: instances.length }));
  const modelVersion = Number(process.env.MODEL_VERSION);
  const predictions = instances.map((row) => {
    const p = predict(modelVersion, row);
    return { label: p > 0.5 ? 1 : 0, probabilities: [1 - p, p] };
  });
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ predictions, modelVersion }) };
};`;

const scratch = mkdtempSync(join(tmpdir(), 'deployment-flow-'));
let dynamo: LocalDynamo;
let s3: LocalS3;
let twin: Twin;
let lambdaClient: LambdaClient;
let functionName: string;
let fn: LambdaInferenceFunction;
let registry: ModelRegistry;
let recordedAuc: number;

beforeAll(async () => {
  const cdkOut = synthesize((stack: Stack) => {
    // As lib/lambda-inference.ts deploys it: the stack's version 1 serves no model yet and the alias points at it.
    const inference = new lambda.Function(stack, 'Inference', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(INFERENCE_CODE),
      timeout: Duration.seconds(10),
      environment: { MODEL_NAME: MODEL, MODEL_VERSION: '', CAPTURE_SAMPLE_PERCENT: '10' },
    });
    new lambda.Alias(stack, 'Live', { aliasName: LIVE_ALIAS_NAME, version: inference.currentVersion });
    new CfnOutput(stack, 'InferenceName', { value: inference.functionName });
  });
  // Nothing here waits on the twin clock; a high scale keeps any SDK waiter delay short.
  [dynamo, s3, twin] = await Promise.all([
    startDynalite(),
    startS3rver(['artifacts']),
    Twin.start({ cdkOut, dataDirectory: join(scratch, 'data'), timeScale: 60 }),
  ]);
  rmSync(cdkOut, { recursive: true, force: true });
  lambdaClient = new LambdaClient({ region: twin.app.env.region, endpoint: twin.url, credentials: LOCAL_CREDENTIALS });
  functionName = twin.output('InferenceName');
  fn = new LambdaInferenceFunction(lambdaClient, functionName, LIVE_ALIAS_NAME);
  registry = registryOn(dynamo);
  const { rows, labels } = holdoutRows();
  const csv = ['amount,hour,merchant_category,is_fraud', ...rows.map((r, i) => [...r, labels[i]].join(','))].join('\n');
  recordedAuc = computeMetrics('binary-classification', labels, rows.map((r) => predict(1, r))).auc;
  const archive = await registeredArchive();
  for (const n of [1, 2, 3]) {
    await s3.put('artifacts', `runs/run-${n}/processed/holdout/data.csv`, csv);
    await s3.put('artifacts', `runs/run-${n}/model/job-${n}/output/model.tar.gz`, archive);
    await registry.register(registration(MODEL, n, { artifactSha256: sha256Hex(archive), metrics: { holdout: { auc: recordedAuc } } }), 'pipeline:test');
  }
}, 120_000);
afterAll(async () => {
  lambdaClient?.destroy();
  await Promise.all([dynamo?.stop(), s3?.stop(), twin?.stop()]);
  rmSync(scratch, { recursive: true, force: true });
});

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

/** The alias as the Lambda API reports it; no RoutingConfig means no canary. */
const alias = async () => {
  const found = await lambdaClient.send(new GetAliasCommand({ FunctionName: functionName, Name: LIVE_ALIAS_NAME }));
  return { functionVersion: found.FunctionVersion, weights: found.RoutingConfig?.AdditionalVersionWeights ?? {} };
};
const environmentOf = async (functionVersion: string) =>
  (await lambdaClient.send(new GetFunctionConfigurationCommand({ FunctionName: functionName, Qualifier: functionVersion }))).Environment?.Variables;
const publishedVersions = async () =>
  ((await lambdaClient.send(new ListVersionsByFunctionCommand({ FunctionName: functionName }))).Versions ?? []).map((v) => v.Version);

type LoggedRequest = { functionVersion: string; headers: Record<string, string>; rows: number };
const loggedRequests = (): LoggedRequest[] =>
  (twin.functionLogs.get(functionName) ?? []).filter((l) => l.startsWith('REQUEST ')).map((l) => JSON.parse(l.slice('REQUEST '.length)));
/** Requests logged after `before` of them; log lines arrive apart from the responses, so wait for `count`. */
const requestsSince = (before: number, count: number) =>
  waitFor('inference request logs', 5_000, () => (loggedRequests().length >= before + count ? loggedRequests().slice(before) : undefined), 20);

describe('DeploymentFlow steps', () => {
  it('deploys the first version straight to 100% and makes it live', async () => {
    await registry.approve(MODEL, 1, by('alice'));
    const target = { model: MODEL, version: 1, execution: 'deploy-1' };

    expect(await steps().begin(target)).toEqual({ model: MODEL, version: 1, status: 'deploying' });
    const { functionVersion } = await steps().prepareVersion(target);
    expect(functionVersion).toBe('2');
    expect(await environmentOf('2')).toEqual({ MODEL_NAME: MODEL, MODEL_VERSION: '1', CAPTURE_SAMPLE_PERCENT: '10' });
    expect(await environmentOf('1')).toMatchObject({ MODEL_VERSION: '' }); // the deployed version is left as it was
    expect(await steps().prepareVersion(target)).toEqual({ functionVersion: '2' }); // a retry publishes nothing new
    expect(await publishedVersions()).toEqual(['$LATEST', '1', '2']);

    const before = loggedRequests().length;
    const parity = await checkHoldoutParity(parityDeps(), { ...target, functionVersion });
    expect(parity).toMatchObject({ task: 'binary-classification', metric: 'auc', recorded: recordedAuc, difference: 0, rows: ROWS });
    // float32 in the session, float64 in the function's JavaScript
    expect(parity.maxProbabilityDifference).toBeLessThan(1e-6);
    const requests = await requestsSince(before, 3);
    // Batches run concurrently, so their order in the log is not fixed.
    expect(requests.map((r) => r.rows).sort((a, b) => b - a)).toEqual([HOLDOUT_BATCH_ROWS, HOLDOUT_BATCH_ROWS, 137]);
    expect(requests.every((r) => r.functionVersion === functionVersion && r.headers[NO_CAPTURE_HEADER] === 'off')).toBe(true);

    expect(await steps().shiftTraffic({ ...target, functionVersion, weightPercent: 10 })).toMatchObject({ weightPercent: 100 });
    expect(await alias()).toEqual({ functionVersion: '2', weights: {} });
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
    expect(await alias()).toEqual({ functionVersion: '2', weights: { [functionVersion]: 0.1 } });
    await expect(steps().finalize(target)).rejects.toThrow(/with a canary, not 3 alone; promote before finalizing/);

    await steps().shiftTraffic({ ...target, functionVersion, weightPercent: 100 });
    expect(await alias()).toEqual({ functionVersion, weights: {} });
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
      new RegExp(`^card-fraud v3 on function version ${functionVersion}: holdout row 1, probability of class 0: deployed 0\\.\\d+, evaluation session 0\\.\\d+; difference exceeds the tolerance 0.001$`),
    );

    // Step Functions hands the Catch's error to Rollback.
    const cause = JSON.stringify({ errorType: 'HoldoutParityError', errorMessage: (failure as Error).message });
    const result = await steps().rollback({ ...target, error: { Error: 'HoldoutParityError', Cause: cause } });
    expect(result).toEqual({ model: MODEL, version: 3, status: 'rolled_back', aliasFunctionVersion: '3', registryChanged: true });
    expect(await alias()).toEqual({ functionVersion: '3', weights: {} });
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
    expect(await alias()).toEqual({ functionVersion: '2', weights: {} });
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
