import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetAliasCommand, GetFunctionConfigurationCommand, LambdaClient, ListVersionsByFunctionCommand } from '@aws-sdk/client-lambda';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CfnOutput, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeploymentSteps } from '../../../lambdas/deployment/deployment-steps';
import { AliasChangedError, HoldoutParityError } from '../../../lambdas/deployment/errors';
import { checkHoldoutParity, functionUrlEvent, HOLDOUT_BATCH_ROWS, type HoldoutParityDeps, NO_CAPTURE_HEADER } from '../../../lambdas/deployment/holdout-parity';
import { type InferenceFunction, LambdaInferenceFunction } from '../../../lambdas/deployment/inference-function';
import { scanCaptureWindow } from '../../../lambdas/drift/capture-window';
import { readModelArchive } from '../../../lambdas/inference/model-archive';
import { ModelSession } from '../../../lambdas/inference/model-session';
import { sha256Hex } from '../../../lambdas/inference/model-store';
import { DynamoRegistryStore, registryDocumentClient } from '../../../lambdas/registry/dynamodb-store';
import { ModelRegistry } from '../../../lambdas/registry/registry';
import type { CaptureRecord } from '../../../contracts/capture-record';
import { modelMetadataSchema } from '../../../contracts/model-metadata';
import { ArtifactStore } from '../../../lib/artifact-store';
import { LambdaInference, LIVE_ALIAS_NAME } from '../../../lib/lambda-inference';
import { ModelRegistry as ModelRegistryConstruct } from '../../../lib/model-registry';
import { waitFor } from '../../../local/driver/loop-session';
import { LOCAL_CREDENTIALS } from '../../../local/services/aws-environment';
import { Twin } from '../../../local/twin';
import { packModelArchive } from '../../../pipelines/common/model-archive';
import { openObjectByUri } from '../../../pipelines/common/s3-stream';
import { readLabelledCsv, scoreTable } from '../../../pipelines/evaluation/score';
import { encodeModel, floatInfo, floatTensor, node } from '../../../pipelines/trainer/onnx/graph';
import { synthesize } from '../../local/support/synth';
import { by, registration } from '../registry/fixtures';

const MODEL = 'card-fraud';
const METRICS_NAMESPACE = 'MLOps/fraud';
const ROWS = 2 * HOLDOUT_BATCH_ROWS + 137;
const FEATURES = ['amount', 'hour', 'merchant_category'];

/** Deterministic holdout rows (features, label): the label mostly follows the first feature. */
function holdoutCsv(): string {
  let seed = 12345;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const lines = [[...FEATURES, 'is_fraud'].join(',')];
  for (let i = 0; i < ROWS; i++) {
    const row = [next(), next(), Math.round((next() + 1) * 2)];
    lines.push([...row, row[0] + 0.6 * next() > 0.1 ? 1 : 0].join(','));
  }
  return lines.join('\n');
}

/**
 * A registered model.tar.gz: `sigmoid(features · weights + bias)` over [amount, hour, merchant_category]. Versions 1
 * and 2 weigh amount and hour, the model the evaluation scored; version 3 reads its features wrong: it weighs
 * merchant_category (a category code 0-4) where the evaluation's model weighs amount.
 */
function modelArchive(weights: [number, number, number], bias: number, description: string): Promise<Buffer> {
  const onnx = encodeModel(
    {
      name: 'deployment-flow-test',
      node: [node('MatMul', ['features', 'weights'], ['z']), node('Add', ['z', 'bias'], ['logit']), node('Sigmoid', ['logit'], ['probabilities'])],
      input: [floatInfo('features', ['N', 3])],
      output: [floatInfo('probabilities', ['N', 1])],
      initializer: [floatTensor('weights', [3, 1], weights), floatTensor('bias', [1], [bias])],
    },
    description,
  );
  const features = FEATURES.map((name) => ({ name, type: 'numeric' as const }));
  const metadata = { inputName: 'features', features, task: 'binary-classification', labels: [0, 1], outputName: 'probabilities', algorithm: 'logistic' };
  return packModelArchive(onnx, modelMetadataSchema.parse(metadata));
}

/** The evaluation's record of the good model: its holdout AUC, scored as the pipeline's evaluation step scores it. */
async function evaluatedAuc(archive: Buffer, holdoutUri: string, csv: string): Promise<number> {
  const artifact = readModelArchive(archive, 'the evaluated model');
  const session = await ModelSession.create(artifact);
  try {
    return (await scoreTable(session, readLabelledCsv(holdoutUri, csv, artifact.metadata), artifact.metadata.task)).auc;
  } finally {
    await session.release();
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'deployment-flow-'));
const testStart = new Date();
let cdkOutDirectory: string | undefined;
let twin: Twin;
let lambdaClient: LambdaClient;
let s3: S3Client;
let bucket: string;
let functionName: string;
let fn: LambdaInferenceFunction;
let registry: ModelRegistry;
let recordedAuc: number;

beforeAll(async () => {
  // The inference tier as a team stack deploys it (lib/lambda-inference.ts): the bundled lambdas/inference handler
  // with the onnxruntime layer, reading the registry table and the artifact store the twin runs. Version 1 (the
  // stack's) serves no model yet and the alias points at it. Every request is captured unless it opts out.
  const cdkOut = synthesize((stack: Stack) => {
    const registryTable = new ModelRegistryConstruct(stack, 'Registry', { metricsNamespace: METRICS_NAMESPACE, removalPolicy: RemovalPolicy.DESTROY });
    const artifactStore = new ArtifactStore(stack, 'Artifacts', { removalPolicy: RemovalPolicy.DESTROY });
    const inference = new LambdaInference(stack, 'Inference', {
      modelName: MODEL,
      registry: registryTable,
      artifactStore,
      metricsNamespace: METRICS_NAMESPACE,
      captureSamplePercent: 100,
    });
    new CfnOutput(stack, 'InferenceName', { value: inference.function.functionName });
    new CfnOutput(stack, 'RegistryTableName', { value: registryTable.table.tableName });
    new CfnOutput(stack, 'ArtifactBucketName', { value: artifactStore.bucket.bucketName });
  });
  // Nothing here waits on the twin clock; a high scale keeps any SDK waiter delay short.
  // The twin runs the bundles from cdk.out: it stays until the twin stops.
  cdkOutDirectory = cdkOut;
  twin = await Twin.start({ cdkOut, dataDirectory: join(scratch, 'data'), timeScale: 60 });
  const { region } = twin.app.env;
  lambdaClient = new LambdaClient({ region, endpoint: twin.url, credentials: LOCAL_CREDENTIALS });
  s3 = new S3Client({ region, endpoint: twin.endpoints.s3, credentials: LOCAL_CREDENTIALS, forcePathStyle: true });
  functionName = twin.output('InferenceName');
  bucket = twin.output('ArtifactBucketName');
  fn = new LambdaInferenceFunction(lambdaClient, functionName, LIVE_ALIAS_NAME);
  registry = new ModelRegistry(new DynamoRegistryStore(registryDocumentClient(twin.dynamodb.client(region)), twin.output('RegistryTableName')));

  const csv = holdoutCsv();
  const good = await modelArchive([3, 0.2, 0], 0, 'versions 1 and 2 of the deployment flow test');
  const readsFeaturesWrong = await modelArchive([0, 0, 3], -3, 'version 3: merchant_category weighed where amount should be');
  recordedAuc = await evaluatedAuc(good, `s3://${bucket}/runs/run-1/processed/holdout/data.csv`, csv);
  for (const [n, archive] of [[1, good], [2, good], [3, readsFeaturesWrong]] as const) {
    const put = (key: string, body: string | Buffer) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    await put(`runs/run-${n}/processed/holdout/data.csv`, csv);
    await put(`runs/run-${n}/model/job-${n}/output/model.tar.gz`, archive);
    // Every version records the good model's evaluation: version 3's archive is not the model that was evaluated.
    await registry.register(inBucket(registration(MODEL, n, { artifactSha256: sha256Hex(archive), metrics: { holdout: { auc: recordedAuc } } })), 'pipeline:test');
  }
}, 180_000);
afterAll(async () => {
  lambdaClient?.destroy();
  s3?.destroy();
  await twin?.stop();
  rmSync(scratch, { recursive: true, force: true });
  if (cdkOutDirectory) rmSync(cdkOutDirectory, { recursive: true, force: true });
});

/** A registration whose S3 locations are in the twin's artifact bucket instead of the fixture's `artifacts`. */
function inBucket<T extends Record<string, unknown>>(input: T): T {
  const moved = Object.entries(input).map(([key, value]) => [key, typeof value === 'string' ? value.replace(/^s3:\/\/artifacts\//, `s3://${bucket}/`) : value]);
  return Object.fromEntries(moved) as T;
}

const steps = () => new DeploymentSteps(registry, fn, MODEL);
const parityDeps = (tolerance = 0.001): HoldoutParityDeps => ({
  registry,
  inference: fn,
  tolerance,
  openObject: (uri) => openObjectByUri(s3, uri),
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

/** One statistic over every datapoint of a metric so far. */
const statistic = (namespace: string, metricName: string, dimensions: Record<string, string>, stat: string) =>
  twin.metrics.query({ namespace, metricName, dimensions, stat, periodMs: Number.MAX_SAFE_INTEGER / 2 }, 0, Date.now() + 1).values[0] ?? 0;
/** Invocations of one function version, as Lambda counts them (AWS/Lambda, per qualifier). */
const invocationsOf = (functionVersion: string) =>
  statistic('AWS/Lambda', 'Invocations', { FunctionName: functionName, Resource: `${functionName}:${functionVersion}` }, 'Sum');
/** The function's own Predictions metric of a model version (rows predicted), by published document. */
const predictionDocuments = (modelVersion: number) => {
  const stat = (name: string) => statistic(METRICS_NAMESPACE, 'Predictions', { Model: MODEL, ModelVersion: String(modelVersion) }, name);
  return { documents: stat('SampleCount'), rows: stat('Sum'), fewest: stat('Minimum'), most: stat('Maximum') };
};

describe('DeploymentFlow steps', () => {
  it('deploys the first version straight to 100% and makes it live', async () => {
    await registry.approve(MODEL, 1, by('alice'));
    const target = { model: MODEL, version: 1, execution: 'deploy-1' };

    expect(await steps().begin(target)).toEqual({ model: MODEL, version: 1, status: 'deploying', execution: 'deploy-1' });
    const { functionVersion } = await steps().prepareVersion(target);
    expect(functionVersion).toBe('2');
    // MODEL_VERSION and the archive the registry records for it set, every other variable kept; the deployed version is left as it was
    const deployed = await environmentOf('1');
    expect(deployed).toMatchObject({ MODEL_NAME: MODEL, MODEL_VERSION: '', REGISTRY_TABLE_NAME: expect.any(String), ARTIFACT_BUCKET: bucket });
    const { artifactUri } = await registry.getVersion(MODEL, 1);
    expect(await environmentOf('2')).toEqual({ ...deployed, MODEL_VERSION: '1', MODEL_ARTIFACT_URI: artifactUri });
    expect(await steps().prepareVersion(target)).toEqual({ functionVersion: '2' }); // a retry publishes nothing new
    expect(await publishedVersions()).toEqual(['$LATEST', '1', '2']);

    const parity = await checkHoldoutParity(parityDeps(), { ...target, functionVersion });
    expect(parity).toMatchObject({ task: 'binary-classification', metric: 'auc', recorded: recordedAuc, difference: 0, rows: ROWS, maxProbabilityDifference: 0 });
    // The check called the published version once per batch. The three batches ran at once, each in an execution
    // environment of its own, whose first request publishes the function's metrics with its answer: one Predictions
    // document per request, its rows.
    expect(invocationsOf(functionVersion)).toBe(3);
    expect(await waitFor('the function\'s Predictions metrics', 10_000, () => (predictionDocuments(1).documents === 3 ? predictionDocuments(1) : undefined), 50)).toEqual({
      documents: 3,
      rows: ROWS,
      fewest: ROWS - 2 * HOLDOUT_BATCH_ROWS,
      most: HOLDOUT_BATCH_ROWS,
    });
    // Capture is on for every request, yet the check's requests carry the opt-out header and none was captured; a
    // request without it is. (An environment flushes capture with a request at most once a second: wait that out.)
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const traffic = functionUrlEvent({ instances: [[0.5, -0.2, 1], [-0.7, 0.1, 3]] });
    expect(traffic.headers[NO_CAPTURE_HEADER]).toBe('off');
    await fn.invoke(functionVersion, { ...traffic, headers: { 'content-type': 'application/json' } });
    await twin.firehose.flushAll();
    const captured: CaptureRecord[] = [];
    await scanCaptureWindow(s3, bucket, MODEL, testStart, new Date(Date.now() + 60_000), (record) => captured.push(record));
    expect(captured.map((r) => [r.requestId, r.modelVersion, r.features])).toEqual([
      [traffic.requestContext.requestId, 1, [0.5, -0.2, 1]],
      [traffic.requestContext.requestId, 1, [-0.7, 0.1, 3]],
    ]);

    expect(await steps().shiftTraffic({ ...target, functionVersion, weightPercent: 10 })).toMatchObject({ weightPercent: 100 });
    expect(await alias()).toEqual({ functionVersion: '2', weights: {} });
    expect(await steps().finalize(target)).toEqual({ model: MODEL, version: 1, status: 'live', retiredVersion: null });
    expect((await registry.getVersionDetail(MODEL, 1)).audit.at(-1)).toMatchObject({ to: 'live', actor: 'deployment:deploy-1' });
  });

  it('canaries the second version beside the live one, promotes it and retires the first', async () => {
    await registry.approve(MODEL, 2, by('alice'));
    const target = { model: MODEL, version: 2, execution: 'deploy-2' };
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
    // The function serves the archive exactly as the check's own session runs it; the AUC it reaches is not the
    // evaluation's.
    expect((failure as Error).message).toMatch(
      new RegExp(`^card-fraud v3 on function version ${functionVersion}: holdout auc is 0\\.\\d+, evaluation recorded ${recordedAuc}; difference 0\\.\\d+ exceeds the tolerance 0.001$`),
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
    const result = await steps().rollback({ model: MODEL, version: 2, execution: 'restore-2' });
    expect(result).toEqual({ model: MODEL, version: 2, status: 'rolled_back', aliasFunctionVersion: '2', registryChanged: false });
    expect(await alias()).toEqual({ functionVersion: '2', weights: {} });
    expect((await registry.getModel(MODEL)).liveVersion).toBe(1);
  });

  it('passes parity within a tolerance and refuses a version without a holdout set', async () => {
    await registry.register(inBucket(registration(MODEL, 4, { holdoutUri: undefined, primaryMetric: undefined })), 'pipeline:test');
    await expect(checkHoldoutParity(parityDeps(), { model: MODEL, version: 4, execution: 'deploy-4', functionVersion: '2' })).rejects.toThrow(
      'card-fraud v4 has no holdout set recorded (holdoutUri); parity cannot be verified',
    );
    await expect(checkHoldoutParity(parityDeps(), { model: MODEL, version: 3, execution: 'deploy-3', functionVersion: '2' })).rejects.toThrow(
      'function version 2 serves model v1, not v3',
    );
  });

  it('refuses steps for another model or a version that is not deploying', async () => {
    await expect(steps().begin({ model: 'other-model', version: 1, execution: 'deploy-x' })).rejects.toThrow(
      'this deployment flow deploys model "card-fraud", got "other-model"',
    );
    await expect(steps().prepareVersion({ model: MODEL, version: 4, execution: 'deploy-4' })).rejects.toThrow('card-fraud v4 is pending_approval, not deploying');
    await expect(steps().begin({ model: MODEL, version: 4, execution: 'deploy-4' })).rejects.toThrow('from pending_approval to deploying');
  });

  it("a release that comes between a shift's ownership check and its alias update wins: the canary is not put back", async () => {
    await registry.register(inBucket(registration(MODEL, 5)), 'pipeline:test');
    await registry.approve(MODEL, 5, by('alice'));
    const target = { model: MODEL, version: 5, execution: 'deploy-5' };
    await steps().begin(target);
    const { functionVersion } = await steps().prepareVersion(target);
    const live = await alias();
    // The Canary step has checked that deploy-5 owns the deployment when an abort releases it (the Lambda invocation
    // goes on after StopExecution): the release rolls back and routes the alias before the step's update arrives.
    const releasedMeanwhile: InferenceFunction = {
      publishModelVersion: (model, description) => fn.publishModelVersion(model, description),
      getAlias: () => fn.getAlias(),
      invoke: (version, payload) => fn.invoke(version, payload),
      routeAlias: async (primary, canary, options) => {
        expect(await steps().release({ model: MODEL, execution: 'deploy-5', status: 'ABORTED', cause: 'aborted by ops: stop' })).toMatchObject({ released: true, status: 'rolled_back' });
        return fn.routeAlias(primary, canary, options);
      },
    };

    const failure = await new DeploymentSteps(registry, releasedMeanwhile, MODEL).shiftTraffic({ ...target, functionVersion, weightPercent: 10 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AliasChangedError);
    expect(await alias()).toEqual(live);
    expect((await registry.getVersionDetail(MODEL, 5)).audit.at(-1)).toMatchObject({ to: 'rolled_back', reason: 'ExecutionAborted: aborted by ops: stop' });
    // The flow's retry of the step reads the deployment again and is refused; the alias stays.
    await expect(steps().shiftTraffic({ ...target, functionVersion, weightPercent: 10 })).rejects.toThrow('card-fraud v5 is rolled_back, not deploying');
    expect(await alias()).toEqual(live);
  });

  it('a release that finds its deployment released by another whose alias update has not landed still leaves the alias without the canary', async () => {
    await registry.register(inBucket(registration(MODEL, 6)), 'pipeline:test');
    await registry.approve(MODEL, 6, by('alice'));
    const target = { model: MODEL, version: 6, execution: 'deploy-6' };
    await steps().begin(target);
    const { functionVersion } = await steps().prepareVersion(target);
    const live = await alias();
    await steps().shiftTraffic({ ...target, functionVersion, weightPercent: 10 });
    expect((await alias()).weights).toEqual({ [functionVersion]: 0.1 });
    // The execution's ABORTED event released it first: the registry says rolled_back, but that release's alias update
    // is still on its way (or failed, to be retried). An abort's release must not return with the canary serving.
    const registryOnly: InferenceFunction = {
      publishModelVersion: (model, description) => fn.publishModelVersion(model, description),
      getAlias: () => fn.getAlias(),
      invoke: (version, payload) => fn.invoke(version, payload),
      routeAlias: async () => {
        throw new Error('the first release stops before routing the alias');
      },
    };
    const first = await new DeploymentSteps(registry, registryOnly, MODEL).release({ model: MODEL, execution: 'deploy-6', status: 'ABORTED', cause: 'event' }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(Error);
    expect((await registry.getVersion(MODEL, 6)).status).toBe('rolled_back');
    expect((await alias()).weights).toEqual({ [functionVersion]: 0.1 });

    expect(await steps().release({ model: MODEL, execution: 'deploy-6', status: 'ABORTED', cause: 'aborted by ops: stop' })).toMatchObject({ released: false });
    expect(await alias()).toEqual(live);
    // A canary of the version deploying now belongs to that deployment: a late release keeps it.
    await registry.register(inBucket(registration(MODEL, 7)), 'pipeline:test');
    await registry.approve(MODEL, 7, by('alice'));
    const next = { model: MODEL, version: 7, execution: 'deploy-7' };
    await steps().begin(next);
    const prepared = await steps().prepareVersion(next);
    await steps().shiftTraffic({ ...next, functionVersion: prepared.functionVersion, weightPercent: 10 });
    expect(await steps().release({ model: MODEL, execution: 'deploy-6', status: 'ABORTED', cause: 'late' })).toMatchObject({ released: false });
    expect((await alias()).weights).toEqual({ [prepared.functionVersion]: 0.1 });
  });

  it('refuses Prepare, a traffic shift and Finalize to an execution that does not own the deployment, moving nothing', async () => {
    // GIVEN the deployment of v7 that deploy-7 began and canaried (the test above)
    expect(await registry.getModel(MODEL)).toMatchObject({ deployingVersion: 7, deployingExecution: 'deploy-7' });
    const before = await alias();
    const { functionVersion } = await registry.getVersion(MODEL, 7);
    // WHEN a duplicate execution of the same event runs its later steps
    const duplicate = { model: MODEL, version: 7, execution: 'deploy-7-duplicate' };
    const refusals = [
      await steps().prepareVersion(duplicate).catch((e: unknown) => e),
      await steps().shiftTraffic({ ...duplicate, functionVersion: functionVersion!, weightPercent: 100 }).catch((e: unknown) => e),
      await steps().finalize(duplicate).catch((e: unknown) => e),
    ];
    // THEN each step refuses it by name, and the alias and the registry are as deploy-7 left them
    for (const refusal of refusals) {
      expect(refusal).toMatchObject({ name: 'NotDeploymentOwnerError', message: 'card-fraud v7 is being deployed by execution deploy-7, not deploy-7-duplicate' });
    }
    expect(await alias()).toEqual(before);
    expect(await registry.getVersion(MODEL, 7)).toMatchObject({ status: 'deploying' });
    expect(await registry.getModel(MODEL)).toMatchObject({ deployingExecution: 'deploy-7' });
  });
});
