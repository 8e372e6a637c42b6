import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTeamConfig } from '../../../contracts/team-config';
import { packageExternalModel } from '../../../bin/byom/external-model';
import { formatCsv } from '../../../pipelines/common/csv';
import { unpackModelArchive } from '../../../pipelines/common/model-archive';
import { toNumericTable } from '../../../pipelines/common/tabular';
import { generateTransactions } from '../../../pipelines/datasets/card-fraud';
import { computeMetrics } from '../../../pipelines/evaluation/metrics';
import { parseHyperparameters, trainingHyperparameters } from '../../../pipelines/trainer/hyperparameters';
import { fitModel } from '../../../pipelines/trainer/train';
import { loadExpected } from '../../lambdas/inference/fixtures';

// A model "trained elsewhere": here the platform's own logistic regression, exported to a plain .onnx file.
const config = parseTeamConfig(JSON.parse(readFileSync('pipelines/teams/fraud.json', 'utf8')));
const dataset = generateTransactions({ rows: 2500, seed: 9 });
const spec = { task: config.model.task, features: config.model.features, label: config.model.label };
const table = (rows: number[][]) => toNumericTable([{ source: 'test', header: dataset.columns, rows }], spec);
const hp = { ...parseHyperparameters(trainingHyperparameters(config)), algorithm: 'logistic-regression' as const };
const model = fitModel(hp, table(dataset.rows.slice(0, 2000)));
const holdout = table(dataset.rows.slice(2000));
const measured = computeMetrics(spec.task, holdout.labels, model.predict(holdout.features, holdout.rowCount));

const dir = mkdtempSync(join(tmpdir(), 'byom-'));
const onnxFile = join(dir, 'model.onnx');
const holdoutFile = join(dir, 'holdout.csv');
writeFileSync(onnxFile, model.toOnnx());
writeFileSync(holdoutFile, formatCsv(dataset.columns, dataset.rows.slice(2000)));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const request = { onnxFile, holdoutFile, task: spec.task, features: spec.features, declaredMetrics: { auc: measured.auc } };

describe('bring your own model', () => {
  it('accepts a model whose declared metrics match the holdout and packages it for the registry', async () => {
    const result = await packageExternalModel(request);
    expect(result.metrics.auc).toBeCloseTo(measured.auc, 6);
    expect(result.sha256).toMatch(/^[0-9a-f]{64}$/);
    const unpacked = await unpackModelArchive(result.tarball);
    expect(unpacked.onnx.equals(readFileSync(onnxFile))).toBe(true);
    expect(unpacked.metadata).toMatchObject({ inputName: 'features', features: spec.features, labels: [0, 1], metrics: { holdout: result.metrics } });
  });

  it('packages the same model identically twice', async () => {
    expect((await packageExternalModel(request)).sha256).toBe((await packageExternalModel(request)).sha256);
  });

  it('refuses declared metrics the holdout does not reproduce', async () => {
    await expect(packageExternalModel({ ...request, declaredMetrics: { auc: measured.auc + 0.05 } })).rejects.toThrow(
      /declared metrics disagree beyond the tolerance 0\.001: auc: declared [\d.]+, measured [\d.]+ on the holdout set/,
    );
  });

  it('refuses a model whose input width differs from the feature list', async () => {
    await expect(packageExternalModel({ ...request, features: spec.features.slice(0, 5) })).rejects.toThrow(
      /input "features" takes 9 features, metadata lists 5/,
    );
  });

  it('refuses a file onnxruntime cannot load', async () => {
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, 'not onnx');
    await expect(packageExternalModel({ ...request, onnxFile: junk })).rejects.toThrow(/onnxruntime cannot load the model/);
  });

  it('names a metric that is not one of the task', async () => {
    await expect(packageExternalModel({ ...request, declaredMetrics: { rmse: 1 } })).rejects.toThrow(/"rmse" is not a binary-classification metric/);
  });

  it('serves the input of a ZipMap output named with outputName, and refuses a multiclass task without its labels', async () => {
    // GIVEN scikit-learn's iris model in skl2onnx's ZipMap shape and its holdout rows, labelled as written
    const { rows, labels, metrics } = loadExpected('iris-logistic');
    const irisHoldout = join(dir, 'iris.csv');
    writeFileSync(irisHoldout, ['a,b,c,d,species', ...rows.map((row, i) => [...row, labels?.[i]].join(','))].join('\n'));
    const iris = {
      onnxFile: 'test/fixtures/models/iris-logistic.onnx',
      holdoutFile: irisHoldout,
      task: 'multiclass-classification' as const,
      labels: ['setosa', 'versicolor', 'virginica'],
      declaredMetrics: { accuracy: metrics?.accuracy ?? 0 },
    };

    // WHEN it is packaged naming the ZipMap output
    const result = await packageExternalModel({ ...iris, outputName: 'output_probability' });

    // THEN the archive serves the ZipMap's input, and the measured accuracy is scikit-learn's
    expect(result.metadata).toMatchObject({ outputName: 'probabilities', rewrite: { change: expect.stringContaining('"output_probability"') } });
    expect(result.metrics.accuracy).toBeCloseTo(metrics?.accuracy ?? 0, 12);
    expect(result.baseline.document.target?.counts).toEqual(Object.fromEntries(iris.labels.map((l) => [l, labels?.filter((x) => x === l).length])));
    await expect(packageExternalModel({ ...iris, labels: undefined })).rejects.toThrow(
      'labels: a multiclass classifier needs its 3 or more class labels, in the order of its probability columns',
    );
  });
});
