import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTeamConfig, type TeamConfig } from '../../../contracts/team-config';
import { modelMetadataSchema } from '../../../contracts/model-metadata';
import { formatCsv } from '../../../pipelines/common/csv';
import { toNumericTable, type NumericTable } from '../../../pipelines/common/tabular';
import { generateTransactions } from '../../../pipelines/datasets/card-fraud';
import { auc, logLoss } from '../../../pipelines/evaluation/metrics';
import { parseHyperparameters, trainingHyperparameters } from '../../../pipelines/trainer/hyperparameters';
import { fitModel, trainModel } from '../../../pipelines/trainer/train';

const config = parseTeamConfig(JSON.parse(readFileSync('pipelines/teams/fraud.json', 'utf8')));
const dataset = generateTransactions({ rows: 4000, seed: 21 });
const parts = { train: dataset.rows.slice(0, 2800), validation: dataset.rows.slice(2800, 3400), holdout: dataset.rows.slice(3400) };
const spec = { task: config.model.task, features: config.model.features, label: config.model.label };
const tableOf = (rows: number[][], task: TeamConfig['model']['task'] = spec.task): NumericTable =>
  toNumericTable([{ source: 'test', header: dataset.columns, rows }], { ...spec, task });
const train = tableOf(parts.train);
const validation = tableOf(parts.validation);
const holdout = tableOf(parts.holdout);
const hyperparameters = parseHyperparameters(trainingHyperparameters(config));

const scratch = mkdtempSync(join(tmpdir(), 'trainer-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function onnxPredictions(onnx: Uint8Array, outputName: string, table: NumericTable): Promise<Float64Array> {
  const session = await ort.InferenceSession.create(onnx);
  const tensor = new ort.Tensor('float32', Float32Array.from(table.features), [table.rowCount, table.columnCount]);
  const output = (await session.run({ features: tensor }))[outputName];
  await session.release();
  const width = Number(output.dims[1]);
  return Float64Array.from({ length: table.rowCount }, (_, i) => (output.data as Float32Array)[i * width + width - 1]);
}

const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((max, v, i) => Math.max(max, Math.abs(v - b[i])), 0);

describe('trainer on the example data', () => {
  it('beats the trivial baseline clearly on holdout', () => {
    const model = fitModel(hyperparameters, train);
    const scores = model.predict(holdout.features, holdout.rowCount);
    const prior = train.labels.reduce((a, b) => a + b, 0) / train.rowCount;
    const priorLogLoss = logLoss(holdout.labels, new Float64Array(holdout.rowCount).fill(prior));
    expect(auc(holdout.labels, new Float64Array(holdout.rowCount).fill(prior))).toBe(0.5);
    expect(auc(holdout.labels, scores)).toBeGreaterThan(0.78);
    expect(logLoss(holdout.labels, scores)).toBeLessThan(0.9 * priorLogLoss);
  });

  const variants = [
    ['gradient-boosting', 'binary-classification'],
    ['logistic-regression', 'binary-classification'],
    ['gradient-boosting', 'regression'],
    ['logistic-regression', 'regression'],
  ] as const;
  it.each(variants)('%s (%s): onnxruntime-node predicts what the trainer predicts, to 1e-5', async (algorithm, task) => {
    const hp = { ...hyperparameters, algorithm, task };
    const model = fitModel(hp, tableOf(parts.train, task));
    const table = tableOf(parts.holdout, task);
    const own = model.predict(table.features, table.rowCount);
    const onnx = await onnxPredictions(model.toOnnx(), model.outputName, table);
    expect(maxDifference(own, onnx)).toBeLessThan(1e-5);
  });

  it('logistic regression also beats the trivial baseline', () => {
    const model = fitModel({ ...hyperparameters, algorithm: 'logistic-regression' }, train);
    expect(auc(holdout.labels, model.predict(holdout.features, holdout.rowCount))).toBeGreaterThan(0.75);
  });

  it('is reproducible: same data, seed and hyperparameters give byte-identical model files', () => {
    const a = trainModel(hyperparameters, train, validation, 'sha');
    const b = trainModel(hyperparameters, train, validation, 'sha');
    expect(Buffer.from(a.onnx).equals(Buffer.from(b.onnx))).toBe(true);
    expect(JSON.stringify(b.metadata)).toBe(JSON.stringify(a.metadata));
    const reseeded = trainModel({ ...hyperparameters, seed: hyperparameters.seed + 1 }, train, validation, 'sha');
    expect(Buffer.from(reseeded.onnx).equals(Buffer.from(a.onnx))).toBe(false);
  });
});

describe('hyperparameters', () => {
  it('are all strings for SageMaker and parse back with types', () => {
    const raw = trainingHyperparameters(config);
    expect(Object.values(raw).every((v) => typeof v === 'string')).toBe(true);
    expect(parseHyperparameters(raw)).toMatchObject({ trees: 60, maxDepth: 3, learningRate: 0.2, seed: 42, features: config.model.features });
  });
  it('name an unknown or bad key', () => {
    expect(() => parseHyperparameters({ ...trainingHyperparameters(config), tres: '5' })).toThrow(/Unrecognized key.*tres/);
    expect(() => parseHyperparameters({ ...trainingHyperparameters(config), maxDepth: 'deep' })).toThrow(/maxDepth/);
  });
  it('refuse a team hyperparameter that shadows the model spec', () => {
    const shadowing = { ...config, training: { ...config.training, hyperparameters: { task: 'regression' } } };
    expect(() => trainingHyperparameters(shadowing)).toThrow(/training\.hyperparameters\.task: is set from the team config/);
  });
});

describe('trainer process on the SageMaker contract', () => {
  const runTrainer = (root: string) =>
    promisify(execFile)('npx', ['tsx', 'pipelines/trainer/main.ts', 'train'], { env: { ...process.env, SM_ROOT: root } }).then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
    );

  function layout(name: string, trainCsv: string): string {
    const root = join(scratch, name);
    for (const dir of ['input/data/train', 'input/data/validation', 'input/config']) mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, 'input/data/train/data.csv'), trainCsv);
    writeFileSync(join(root, 'input/data/validation/data.csv'), formatCsv(dataset.columns, parts.validation));
    writeFileSync(join(root, 'input/config/hyperparameters.json'), JSON.stringify(trainingHyperparameters(config)));
    return root;
  }

  it('writes model.onnx and metadata.json with features, labels, metrics and the training data hash', async () => {
    const trainCsv = formatCsv(dataset.columns, parts.train);
    const root = layout('ok', trainCsv);
    expect((await runTrainer(root)).code).toBe(0);
    const metadata = modelMetadataSchema.parse(JSON.parse(readFileSync(join(root, 'model/metadata.json'), 'utf8')));
    expect(metadata).toMatchObject({ inputName: 'features', outputName: 'probabilities', labels: [0, 1], features: config.model.features });
    expect(metadata.trainingDataSha256).toBe(createHash('sha256').update(trainCsv).digest('hex'));
    expect(metadata.metrics.validation.auc).toBeGreaterThan(0.75);
    const inProcess = trainModel(hyperparameters, train, validation, metadata.trainingDataSha256!);
    expect(readFileSync(join(root, 'model/model.onnx')).equals(Buffer.from(inProcess.onnx))).toBe(true);
  });

  it('on bad input writes the reason to output/failure and exits 1', async () => {
    const root = layout('bad', `${dataset.columns.filter((c) => c !== 'amount').join(',')}\n1,2,3,4,5,6,7,8,0\n`);
    expect((await runTrainer(root)).code).toBe(1);
    expect(readFileSync(join(root, 'output/failure'), 'utf8')).toBe(
      'DataValidationError: column "amount" is missing from channel "train" file data.csv (columns found: hour_of_day, distance_from_home_km, txn_count_24h, account_age_days, merchant_risk, is_foreign, card_present, merchant_category, is_fraud)',
    );
  });
});
