import { readFileSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTeamConfig } from '../../../contracts/team-config';
import { DynamoRegistryStore } from '../../../lambdas/registry/dynamodb-store';
import { ModelRegistry } from '../../../lambdas/registry/registry';
import { formatCsv } from '../../../pipelines/common/csv';
import { packModelArchive } from '../../../pipelines/common/model-archive';
import { toNumericTable } from '../../../pipelines/common/tabular';
import { generateTransactions } from '../../../pipelines/datasets/card-fraud';
import { computeMetrics } from '../../../pipelines/evaluation/metrics';
import { parseHyperparameters, trainingHyperparameters } from '../../../pipelines/trainer/hyperparameters';
import { trainModel } from '../../../pipelines/trainer/train';
import { evaluate } from '../../../lambdas/pipeline/evaluate';
import { modelMetadataSchema, type ModelMetadata } from '../../../contracts/model-metadata';
import { Random } from '../../../pipelines/common/random';
import { evaluationConfigSchema } from '../../../pipelines/evaluation/gate';
import { InvalidModelOutputError } from '../../../pipelines/evaluation/invalid-model-output';
import { INPUT_NAME, PROBABILITIES_OUTPUT } from '../../../pipelines/trainer/onnx/graph';
import { lambdaEnvFor, startDynalite, type LocalDynamo } from '../../helpers/dynalite';
import { linearClassifier, tarball } from './small-onnx-models';
import { type LocalS3, startS3rver } from '../../helpers/s3rver';

const config = parseTeamConfig(JSON.parse(readFileSync('pipelines/teams/fraud.json', 'utf8')));
const dataset = generateTransactions({ rows: 3000, seed: 5 });
const parts = { train: dataset.rows.slice(0, 2000), validation: dataset.rows.slice(2000, 2500), holdout: dataset.rows.slice(2500) };
const spec = { task: config.model.task, features: config.model.features, label: config.model.label };
const table = (rows: number[][]) => toNumericTable([{ source: 'test', header: dataset.columns, rows }], spec);
const evaluationConfig = { task: config.model.task, ...config.evaluation, autoApprove: true };

let s3: LocalS3;
let dynamo: LocalDynamo;
let handler: (event: unknown) => Promise<{
  metrics: { validation: Record<string, number>; holdout: Record<string, number> };
  artifactSha256: string;
  dataset: { uri: string; sha256: string };
  gate: { passed: boolean; reason: string };
  champion: { version: number; metric: number } | null;
  approve: boolean;
}>;
let expectedHoldout: Record<string, number>;
let trainedMetadata: ModelMetadata;
const input = (execution: string) => ({
  executionName: execution,
  model: config.model.name,
  modelArtifactUri: `s3://artifacts/runs/${execution}/model/job/output/model.tar.gz`,
  holdoutUri: 's3://artifacts/runs/r1/processed/holdout/data.csv',
  validationUri: 's3://artifacts/runs/r1/processed/validation/data.csv',
  datasetLineageUri: 's3://artifacts/runs/r1/processed/dataset.json',
});
const DATASET_SHA256 = 'd'.repeat(64);
const lineage = {
  formatVersion: 1,
  inputUri: 's3://artifacts/datasets/card-fraud/',
  sources: [{ uri: 's3://artifacts/datasets/card-fraud/part-0.csv', bytes: 1234, sha256: DATASET_SHA256 }],
  sha256: DATASET_SHA256,
  columns: dataset.columns,
  rowCount: dataset.rows.length,
  splitSeed: '42',
  splitRatios: { train: 0.7, validation: 0.15, holdout: 0.15 },
  splits: {
    train: { rows: parts.train.length, uri: 's3://artifacts/runs/r1/processed/train/data.csv' },
    validation: { rows: parts.validation.length, uri: 's3://artifacts/runs/r1/processed/validation/data.csv' },
    holdout: { rows: parts.holdout.length, uri: 's3://artifacts/runs/r1/processed/holdout/data.csv' },
  },
  baselineUri: 's3://artifacts/runs/r1/processed/baseline.json',
};

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  // s3rver checks its fixed credentials; dynalite accepts any, so the S3 environment goes last.
  Object.assign(process.env, lambdaEnvFor(dynamo), s3.env, {
    ARTIFACT_BUCKET: s3.bucket,
    MODEL_NAME: config.model.name,
    EVALUATION_CONFIG: JSON.stringify(evaluationConfig),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  const trained = trainModel(parseHyperparameters(trainingHyperparameters(config)), table(parts.train), table(parts.validation), 'sha');
  trainedMetadata = trained.metadata;
  const put = (key: string, body: string | Uint8Array) => s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body }));
  await put('runs/r1/model/job/output/model.tar.gz', await packModelArchive(trained.onnx, trained.metadata));
  await put('runs/r1/processed/validation/data.csv', formatCsv(dataset.columns, parts.validation));
  await put('runs/r1/processed/holdout/data.csv', formatCsv(dataset.columns, parts.holdout));
  await put('runs/r1/processed/dataset.json', JSON.stringify(lineage));
  await put('runs/r1/processed/dataset-v0.json', JSON.stringify({ ...lineage, formatVersion: 0 }));
  await put('runs/bad/model/job/output/model.tar.gz', 'not a tarball');
  const holdout = table(parts.holdout);
  expectedHoldout = computeMetrics(spec.task, holdout.labels, trained.model.predict(holdout.features, holdout.rowCount));
  ({ handler } = await import('../../../lambdas/pipeline/evaluate.handler'));
});
afterAll(async () => {
  await Promise.all([s3?.stop(), dynamo?.stop()]);
});

describe('Evaluate step', () => {
  it('GIVEN no live version WHEN evaluated THEN scores both splits with onnxruntime and approves a model that clears the gate', async () => {
    const result = await handler(input('r1'));
    expect(result.metrics.holdout.auc).toBeCloseTo(expectedHoldout.auc, 5);
    expect(result.metrics.holdout.logLoss).toBeCloseTo(expectedHoldout.logLoss, 5);
    expect(result.metrics.validation.auc).toBeGreaterThan(0.7);
    expect(result.artifactSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(result.dataset).toEqual({ uri: 's3://artifacts/datasets/card-fraud/', sha256: DATASET_SHA256 });
    expect(result.gate.passed).toBe(true);
    expect(result.champion).toBeNull();
    expect(result.approve).toBe(true);
  });

  it('GIVEN a live champion that is as good WHEN evaluated THEN the challenger is not auto-approved', async () => {
    const registry = new ModelRegistry(new DynamoRegistryStore(dynamo.documentClient, dynamo.tableName));
    const decision = { actor: 'test', reason: 'test' };
    const { version } = (
      await registry.register(
        {
          model: config.model.name,
          artifactUri: 's3://artifacts/runs/r0/model.tar.gz',
          artifactSha256: 'a'.repeat(64),
          metrics: { holdout: { auc: expectedHoldout.auc - 0.001 } },
        },
        'test',
      )
    ).version;
    await registry.approve(config.model.name, version, decision);
    await registry.beginDeployment(config.model.name, version, decision, 'deploy-test');
    await registry.finalizeDeployment(config.model.name, version, decision);

    const result = await handler(input('r1'));
    expect(result.champion).toEqual({ version, metric: expectedHoldout.auc - 0.001 });
    expect(result.gate.passed).toBe(true);
    expect(result.gate.reason).toContain(`does not beat live version ${version}`);
    expect(result.approve).toBe(false);
  });

  it('refuses input that is not the state machine contract, naming the field', async () => {
    await expect(handler({ ...input('r1'), holdoutUri: 'holdout.csv' })).rejects.toThrow(/invalid Evaluate input: holdoutUri: expected an s3:\/\/bucket\/key URI/);
  });

  it('refuses artifacts outside the artifact bucket', async () => {
    await expect(handler({ ...input('r1'), modelArtifactUri: 's3://elsewhere/model.tar.gz' })).rejects.toThrow(/outside the artifact bucket artifacts/);
  });

  it('fails the run when the dataset lineage is missing, rather than registering without it', async () => {
    await expect(handler({ ...input('r1'), datasetLineageUri: 's3://artifacts/runs/r1/processed/missing.json' })).rejects.toThrow(
      /cannot read the dataset lineage s3:\/\/artifacts\/runs\/r1\/processed\/missing\.json/,
    );
  });

  it('refuses a dataset lineage of another format, naming the field', async () => {
    await expect(handler({ ...input('r1'), datasetLineageUri: 's3://artifacts/runs/r1/processed/dataset-v0.json' })).rejects.toThrow(
      /invalid dataset lineage s3:\/\/artifacts\/runs\/r1\/processed\/dataset-v0\.json: formatVersion/,
    );
  });

  it('fails clearly on an archive that holds no model', async () => {
    await expect(handler(input('bad'))).rejects.toThrow(
      'the training container wrote no model.onnx and no metadata.json to /opt/ml/model (found: nothing)',
    );
  });

  it('GIVEN a model that predicts NaN WHEN evaluated THEN fails with the InvalidModelOutputError code the failure row records, naming the row', async () => {
    const width = config.model.features.length;
    const weights = Array.from({ length: width }, (_, i) => [0.1 * i, -0.1 * i]);
    const metadata = { ...trainedMetadata, outputName: PROBABILITIES_OUTPUT, inputName: INPUT_NAME };
    // NaN for every row whose amount (the first feature) is below 30.
    const onnx = linearClassifier({ weights, head: 'softmax', nanBelow: [30, ...new Array<number>(width - 1).fill(0)] });
    await s3.put(s3.bucket, 'runs/nan/model/job/output/model.tar.gz', await packModelArchive(onnx, metadata));
    const firstNegative = parts.validation.findIndex((row) => row[0] < 30) + 1;
    expect(firstNegative).toBeGreaterThan(1);

    const error = await handler(input('nan')).then(() => undefined, (err: Error) => err);
    expect(error?.name).toBe('InvalidModelOutputError');
    expect(error?.message).toBe(
      `the model's output for row ${firstNegative} of s3://artifacts/runs/r1/processed/validation/data.csv is [NaN, NaN]: NaN is not a probability (a number from 0 to 1)`,
    );
  });
});

describe('Evaluate step on a multiclass model a container wrote', () => {
  const classes = ['bearing', 'imbalance', 'normal'];
  const features = ['vibration', 'temperature', 'current', 'noise'].map((name) => ({ name, type: 'numeric' as const }));
  // Class k's score is feature k minus the others' mean (feature 3 is noise); the label is the highest noisy score.
  const weights = [
    [1, -0.5, -0.5],
    [-0.5, 1, -0.5],
    [-0.5, -0.5, 1],
    [0, 0, 0],
  ];
  const random = new Random(17);
  const rows = (n: number) =>
    Array.from({ length: n }, () => {
      const x = Array.from({ length: 4 }, () => 0.2 + 2 * random.uniform());
      const scores = [0, 1, 2].map((k) => x.reduce((sum, v, f) => sum + v * weights[f][k], 0) + 0.6 * random.normal());
      return [...x, scores.indexOf(Math.max(...scores))];
    });
  const header = [...features.map((f) => f.name), 'fault'];
  const metadata: ModelMetadata = modelMetadataSchema.parse({
    inputName: INPUT_NAME,
    features,
    task: 'multiclass-classification',
    labels: classes,
    outputName: PROBABILITIES_OUTPUT,
    algorithm: 'linear-softmax',
    framework: 'test',
  });
  const config = evaluationConfigSchema.parse({ task: 'multiclass-classification', classes, primaryMetric: 'macroAuc', threshold: 0.8, autoApprove: true });
  const uri = (key: string) => `s3://artifacts/${key}`;
  const run = (name: string) =>
    evaluate({ s3: s3.client, lookupChampion: async () => null, artifactBucket: s3.bucket }, config, {
      executionName: name,
      model: 'faults',
      modelArtifactUri: uri(`runs/${name}/model.tar.gz`),
      validationUri: uri('runs/mc/processed/validation/data.csv'),
      holdoutUri: uri('runs/mc/processed/holdout/data.csv'),
      datasetLineageUri: uri('runs/r1/processed/dataset.json'),
    });
  const validationUri = uri('runs/mc/processed/validation/data.csv');
  const model = (name: string, files: Record<string, string | Uint8Array>) =>
    beforeAll(async () => s3.put(s3.bucket, `runs/${name}/model.tar.gz`, await tarball(files)));
  const json = (value: unknown) => JSON.stringify(value);
  const softmax = linearClassifier({ weights, head: 'softmax' });
  let validation: number[][];
  let holdout: number[][];

  beforeAll(async () => {
    validation = rows(200);
    holdout = rows(200);
    await s3.put(s3.bucket, 'runs/mc/processed/validation/data.csv', formatCsv(header, validation));
    await s3.put(s3.bucket, 'runs/mc/processed/holdout/data.csv', formatCsv(header, holdout));
  });

  model('good', { 'model.onnx': softmax, 'metadata.json': json(metadata) });
  it('GIVEN a softmax model WHEN evaluated THEN scores the class probability matrix with the multiclass metrics', async () => {
    const result = await run('good');
    // The same linear scores, softmaxed in float64: the model's float32 output agrees to ~1e-7.
    const labels = holdout.map((row) => row[4]);
    const probabilities = holdout.flatMap((row) => {
      const scores = [0, 1, 2].map((k) => row.slice(0, 4).reduce((sum, v, f) => sum + v * weights[f][k], 0));
      const exp = scores.map((s) => Math.exp(s - Math.max(...scores)));
      return exp.map((e) => e / exp.reduce((a, b) => a + b, 0));
    });
    const expected = computeMetrics('multiclass-classification', labels, { data: probabilities, columns: 3 });
    expect(Object.keys(result.metrics.holdout)).toEqual(['accuracy', 'macroF1', 'logLoss', 'macroAuc']);
    for (const name of Object.keys(expected)) expect(result.metrics.holdout[name]).toBeCloseTo(expected[name], 5);
    expect(result.metrics.holdout.macroAuc).toBeGreaterThan(0.8);
    expect(result.gate.passed).toBe(true);
    expect(result.approve).toBe(true);
  });

  const broken: [string, Record<string, string | Uint8Array>, string][] = [
    [
      'no-onnx',
      { 'metadata.json': json(metadata) },
      'the training container wrote no model.onnx to /opt/ml/model (found: metadata.json)',
    ],
    [
      'no-metadata',
      { 'model.onnx': softmax, 'weights.pt': 'torch' },
      'the training container wrote no metadata.json to /opt/ml/model (found: model.onnx, weights.pt)',
    ],
    [
      'metadata-not-json',
      { 'model.onnx': softmax, 'metadata.json': '{"task": ' },
      'metadata.json written by the training container is not JSON',
    ],
    [
      'metadata-without-output',
      { 'model.onnx': softmax, 'metadata.json': json({ ...metadata, outputName: undefined }) },
      'metadata.json written by the training container is invalid: outputName: Invalid input: expected string, received undefined',
    ],
    [
      'metadata-two-labels',
      { 'model.onnx': softmax, 'metadata.json': json({ ...metadata, labels: ['bearing', 'normal'] }) },
      'metadata.json written by the training container is invalid: labels: a multiclass model lists its 3 or more class labels, in the order of its probability columns',
    ],
    [
      'task',
      { 'model.onnx': softmax, 'metadata.json': json({ ...metadata, task: 'regression', labels: undefined }) },
      'metadata.json written by the training container says task regression, the team\'s model is multiclass-classification',
    ],
    [
      'class-order',
      { 'model.onnx': softmax, 'metadata.json': json({ ...metadata, labels: ['normal', 'bearing', 'imbalance'] }) },
      'metadata.json written by the training container has labels ["normal", "bearing", "imbalance"]; they must be the team\'s classes ["bearing", "imbalance", "normal"] (model.classes), in the order of the probability columns',
    ],
    [
      'feature-order',
      { 'model.onnx': softmax, 'metadata.json': json({ ...metadata, features: [features[1], features[0], features[2], features[3]] }) },
      'metadata.json written by the training container lists features ["temperature", "vibration", "current", "noise"]; the model must take the team\'s features ["vibration", "temperature", "current", "noise"], in that order',
    ],
    [
      'wrong-width',
      { 'model.onnx': linearClassifier({ weights: [...weights, [0, 0, 0]], head: 'softmax' }), 'metadata.json': json(metadata) },
      'model.onnx written by the training container does not run as its metadata.json describes it (one row of 4 features): input "features" has 5 columns, metadata.json lists 4 features',
    ],
    [
      'output-columns',
      { 'model.onnx': linearClassifier({ weights: weights.map((w) => w.slice(0, 2)), head: 'softmax' }), 'metadata.json': json(metadata) },
      'does not run as its metadata.json describes it (one row of 4 features): output "probabilities" of a multiclass-classification model must have one probability per class per row ([N, 3] for its 3 classes), has 2',
    ],
    [
      'not-a-model',
      { 'model.onnx': 'not onnx', 'metadata.json': json(metadata) },
      'model.onnx written by the training container does not run as its metadata.json describes it (one row of 4 features): onnxruntime cannot load the model',
    ],
  ];
  for (const [name, files] of broken) model(name, files);
  it.each(broken)('refuses what the container wrote: %s', async (name, _files, message) => {
    const error = await run(name).then(() => undefined, (err: Error) => err);
    expect(error).toBeInstanceOf(InvalidModelOutputError);
    expect(error?.message).toContain(message);
  });

  model('symbolic-width', { 'model.onnx': linearClassifier({ weights: [...weights, [0, 0, 0]], inputWidth: 'width', head: 'softmax' }), 'metadata.json': json(metadata) });
  it('refuses a model whose declared width is symbolic but which cannot run on the features', async () => {
    await expect(run('symbolic-width')).rejects.toThrow(
      /^model\.onnx written by the training container does not run as its metadata\.json describes it \(one row of 4 features\): .*MatMul/,
    );
  });

  model('nan', { 'model.onnx': linearClassifier({ weights, head: 'softmax', nanBelow: [0.5, 0, 0, 0] }), 'metadata.json': json(metadata) });
  it('refuses a model that predicts NaN, naming the first row and its values', async () => {
    const row = validation.findIndex((r) => r[0] < 0.5) + 1;
    await expect(run('nan')).rejects.toThrow(
      `the model's output for row ${row} of ${validationUri} is [NaN, NaN, NaN]: NaN is not a probability (a number from 0 to 1)`,
    );
  });

  model('sigmoid', { 'model.onnx': linearClassifier({ weights, head: 'sigmoid' }), 'metadata.json': json(metadata) });
  it('refuses a model whose class probabilities do not sum to 1, naming the first row and its values', async () => {
    const error = await run('sigmoid').then(() => undefined, (err: Error) => err);
    expect(error?.name).toBe('InvalidModelOutputError');
    expect(error?.message).toMatch(
      /^the model's output for row 1 of s3:\/\/artifacts\/runs\/mc\/processed\/validation\/data\.csv is \[0\.\d+, 0\.\d+, 0\.\d+\]: the class probabilities sum to 1\.\d+, not 1 \(within 0\.0001\); does the model end in a softmax\?$/,
    );
  });
});
