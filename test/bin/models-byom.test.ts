import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../bin/commands/models';
import { checkHoldoutParity } from '../../lambdas/deployment/holdout-parity';
import { InferenceService } from '../../lambdas/inference/inference-service';
import { RegistryModelSource } from '../../lambdas/inference/model-source';
import { InferenceMetrics } from '../../lambdas/inference/telemetry';
import { baselineSchema } from '../../contracts/baseline';
import { readSortedValues } from '../../lambdas/drift/baseline-objects';
import { modelMetadataSchema } from '../../contracts/model-metadata';
import { byomArtifactKey, parseS3Uri } from '../../contracts/storage-layout';
import { formatCsv, parseCsvText } from '../../pipelines/common/csv';
import { unpackModelArchive } from '../../pipelines/common/model-archive';
import { Random } from '../../pipelines/common/random';
import { getObjectBytes, listKeys, s3ArtifactReader } from '../../pipelines/common/s3';
import { openObjectByUri } from '../../pipelines/common/s3-stream';
import { computeMetrics } from '../../pipelines/evaluation/metrics';
import { loadExpected } from '../lambdas/inference/fixtures';
import { type ApprovalTwin, startApprovalTwin } from '../helpers/approval-twin';

// A model made outside this project's trainer: scikit-learn gradient boosting written with onnx.helper, with the
// outputs label + probabilities + a ZipMap (skl2onnx's shape), and scikit-learn's own probabilities for 64 rows.
const FIXTURE = 'test/fixtures/models/fraud-gbt';
const metadata = modelMetadataSchema.parse(JSON.parse(readFileSync(`${FIXTURE}.metadata.json`, 'utf8')));
const expected = JSON.parse(readFileSync(`${FIXTURE}.expected.json`, 'utf8')) as { rows: number[][]; expected: [number, number][] };
const featureNames = metadata.features.map((f) => f.name);
const featuresFlag = metadata.features.map((f) => (f.type === 'categorical' ? `${f.name}:categorical` : f.name)).join(',');

// Labels follow scikit-learn's probability, with 15% flipped by a seeded generator, so the model is good, not perfect.
const random = new Random(7);
const labels = expected.expected.map(([, p1]) => Number((p1 > 0.2) !== random.uniform() < 0.15));
/** AUC from scikit-learn's probabilities: what the owner of the model measured, independent of onnxruntime. */
const declaredAuc = computeMetrics('binary-classification', labels, expected.expected.map(([, p1]) => p1)).auc;

/** The owner's holdout file: an id column, features in another order than the model's, the label last. */
function ownersHoldout(drop?: string): string {
  const columns = ['transaction_id', ...[...featureNames].reverse().filter((name) => name !== drop), 'is_fraud'];
  const rows = expected.rows.map((row, i) => columns.map((c) => (c === 'transaction_id' ? 1000 + i : c === 'is_fraud' ? labels[i] : row[featureNames.indexOf(c)])));
  return formatCsv(columns, rows);
}

let doors: ApprovalTwin;
let dir: string;
let twin: string;
let holdoutFile: string;
const onnxFile = `${FIXTURE}.onnx`;

// The registry's doors in the twin, serving every model (a shared registry): registrations go through the approval API
// as a signed-in developer.
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-byom-'));
  vi.stubEnv('MLOPS_HOME', join(dir, 'home'));
  vi.stubEnv('MLOPS_TOKEN', '');
  doors = await startApprovalTwin();
  twin = doors.stateFile;
  await doors.signIn('developers@localhost');
  holdoutFile = join(dir, 'holdout.csv');
  await writeFile(holdoutFile, ownersHoldout());
}, 120_000);
afterAll(async () => {
  vi.unstubAllEnvs();
  await doors?.stop();
  await rm(dir, { recursive: true, force: true });
});

/**
 * Serves a registered version as the inference tier does: archive from S3, SHA-256 checked against the registry,
 * onnxruntime. Serving refuses a version nobody approved, so a pending one is approved first, as a reviewer would.
 */
async function servedBy(model: string, version: number) {
  const registry = doors.registry;
  if ((await registry.getVersion(model, version)).status === 'pending_approval') {
    await registry.approve(model, version, { actor: 'reviewer@example.com', reason: 'reviewed the BYOM metrics' });
  }
  return new InferenceService({
    source: new RegistryModelSource({ registry: doors.registry, artifacts: s3ArtifactReader(doors.s3) }, model, version),
    metrics: new InferenceMetrics(new Metrics({ namespace: 'MLOps/test' }), model, version),
  });
}

/** The deployment's holdout check against a service, as the deployed function version would answer it. */
async function holdoutCheckOf(model: string, version: number) {
  const service = await servedBy(model, version);
  const inference = {
    invoke: (_functionVersion: string, payload: unknown) => {
      const { rawPath, body, requestContext } = payload as { rawPath: string; body: string; requestContext: { requestId: string; http: { method: string } } };
      return service.handle({ method: requestContext.http.method, path: rawPath, body, requestId: requestContext.requestId, captureOptOut: true });
    },
  };
  const openObject = (uri: string) => openObjectByUri(doors.s3, uri);
  return checkHoldoutParity({ registry: doors.registry, inference, openObject, tolerance: 0.001 }, { model, version, functionVersion: '1' });
}

/** Runs `mlops models <args>` against the twin file; returns exit code and output. */
async function mlops(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run([...args, '--twin', twin], { stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
  return { code, stdout: out.join('\n'), stderr: err };
}

const registerByom = (model: string, overrides: Record<string, string> = {}) => {
  const flags = { '--onnx': onnxFile, '--holdout': holdoutFile, '--metrics': JSON.stringify({ auc: declaredAuc }), '--features': featuresFlag, ...overrides };
  return mlops('register', model, ...Object.entries(flags).flat(), '--code-version', 'sklearn-1.4@abc123');
};

/** Nothing registered and nothing uploaded for `model`. */
async function expectNothingWritten(model: string) {
  expect((await doors.registry.listModels()).map((m) => m.model)).not.toContain(model);
  expect(await listKeys(doors.s3, doors.bucket, `byom/${model}/`)).toEqual([]);
}

describe('mlops models register --onnx (bring your own model)', () => {
  it('validates, measures, uploads and registers an ONNX model trained elsewhere as pending approval', async () => {
    const result = await registerByom('fraud-byo');

    expect(result.code).toBe(0);
    expect(result.stdout).toBe('registered fraud-byo v1 (pending_approval)');
    expect(result.stderr.map((line) => line.split(/\s+/)[0])).toEqual(['validate', 'evaluate', 'upload', 'register']);
    expect(result.stderr[0]).toContain('input "features" [batch, 9] -> output "probabilities"');
    expect(result.stderr[1]).toMatch(/^evaluate\s+64 holdout rows: auc=0\.\d+ accuracy=/);

    const version = await doors.registry.getVersion('fraud-byo', 1);
    expect(version).toMatchObject({ status: 'pending_approval', primaryMetric: 'auc', codeVersion: 'sklearn-1.4@abc123', clientToken: version.artifactSha256 });
    expect(version.metrics.holdout.auc).toBeCloseTo(declaredAuc, 3);
    const { bucket, key } = parseS3Uri(version.artifactUri);
    expect(key).toBe(byomArtifactKey('fraud-byo', version.artifactSha256));
    const archive = await getObjectBytes(doors.s3, bucket, key);
    expect(createHash('sha256').update(archive).digest('hex')).toBe(version.artifactSha256);
    const unpacked = await unpackModelArchive(archive);
    expect(unpacked.onnx.equals(await readFile(onnxFile))).toBe(true);
    expect(unpacked.metadata).toMatchObject({ inputName: 'features', outputName: 'probabilities', features: metadata.features, labels: [0, 1] });
  });

  it('stores the holdout set in the processing layout: model-order features, label last, no other columns', async () => {
    const version = await doors.registry.getVersion('fraud-byo', 1);
    const { bucket, key } = parseS3Uri(version.holdoutUri ?? '');
    const { header, rows } = parseCsvText((await getObjectBytes(doors.s3, bucket, key)).toString('utf8'));
    expect(header).toEqual([...featureNames, 'is_fraud']);
    expect(rows.map((row) => row.map(Number))).toEqual(expected.rows.map((row, i) => [...row, labels[i]]));
    const { bucket: b, key: k } = parseS3Uri(version.baselineUri ?? '');
    const baseline = baselineSchema.parse(JSON.parse((await getObjectBytes(doors.s3, b, k)).toString('utf8')));
    expect(baseline.features.map((f) => [f.name, f.type])).toEqual(metadata.features.map((f) => [f.name, f.type]));
    // Numeric features' holdout values sorted beside it, as the drift job reads them (SHA-256 checked).
    const numeric = metadata.features.flatMap((f, c) => (f.type === 'numeric' ? [[f.name, c] as const] : []));
    const sortedValues = await readSortedValues(doors.s3, version.baselineUri ?? '', baseline, numeric.map(([name]) => name));
    for (const [name, c] of numeric) expect(Array.from(sortedValues.get(name)!)).toEqual(expected.rows.map((row) => row[c]).sort((x, y) => x - y));
  });

  it("passes the deployment's holdout parity check when the registered archive is served by the inference service", async () => {
    // GIVEN version 1 served as the inference tier serves it
    // WHEN the deployment's holdout check runs against it
    const parity = await holdoutCheckOf('fraud-byo', 1);
    // THEN the declared metrics are reproduced by the served model on the stored holdout set
    expect(parity).toMatchObject({ metric: 'auc', rows: 64 });
    expect(parity.difference).toBeLessThanOrEqual(0.001);
  });

  it('is idempotent: running the same registration again finds the same version', async () => {
    const again = await registerByom('fraud-byo');
    const { artifactSha256 } = await doors.registry.getVersion('fraud-byo', 1);
    expect(again).toMatchObject({ code: 0, stdout: `already registered as fraud-byo v1 (approved) with client token ${artifactSha256}` });
    expect((await doors.registry.listVersions('fraud-byo')).map((v) => v.version)).toEqual([1]);
  });

  it('refuses declared metrics the holdout set does not reproduce, registering and uploading nothing', async () => {
    const result = await registerByom('fraud-off', { '--metrics': JSON.stringify({ auc: declaredAuc + 0.01 }) });
    expect(result.code).toBe(1);
    expect(result.stderr.at(-1)).toMatch(/^mlops: declared metrics disagree beyond the tolerance 0\.001: auc: declared 0\.\d+, measured 0\.\d{6} on the holdout set$/);
    await expectNothingWritten('fraud-off');
  });

  it('accepts the same disagreement within a wider --tolerance', async () => {
    const result = await registerByom('fraud-tol', { '--metrics': JSON.stringify({ auc: declaredAuc + 0.01 }), '--tolerance': '0.02' });
    expect(result).toMatchObject({ code: 0, stdout: 'registered fraud-tol v1 (pending_approval)' });
  });

  it('names --features when their count differs from the model input', async () => {
    const result = await registerByom('fraud-width', { '--features': featureNames.slice(0, 8).join(',') });
    expect(result.code).toBe(2);
    expect(result.stderr).toEqual([`mlops: --features: input "features" takes 9 features, metadata lists 8: ${featureNames.slice(0, 8).join(', ')}`]);
    await expectNothingWritten('fraud-width');
  });

  it('names --holdout, the file and the column when a feature column is missing', async () => {
    const partial = join(dir, 'partial.csv');
    await writeFile(partial, ownersHoldout('merchant_risk'));
    const result = await registerByom('fraud-column', { '--holdout': partial });
    expect(result.code).toBe(2);
    expect(result.stderr.at(-1)).toBe(
      `mlops: --holdout: column "merchant_risk" is missing from ${partial} (columns found: transaction_id, merchant_category, card_present, is_foreign, account_age_days, txn_count_24h, distance_from_home_km, hour_of_day, amount, is_fraud)`,
    );
    await expectNothingWritten('fraud-column');
  });

  it('names --onnx and the file when onnxruntime cannot load it, or it cannot be read', async () => {
    const junk = join(dir, 'junk.onnx');
    await writeFile(junk, 'not an onnx model');
    const unreadable = await registerByom('fraud-junk', { '--onnx': junk });
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toEqual([`mlops: --onnx: onnxruntime cannot load the model ${junk}: Failed to load model because protobuf parsing failed.`]);
    const missing = await registerByom('fraud-junk', { '--onnx': join(dir, 'nope.onnx') });
    expect(missing).toMatchObject({ code: 2, stderr: [`mlops: --onnx: cannot read ${join(dir, 'nope.onnx')}: ENOENT`] });
    await expectNothingWritten('fraud-junk');
  });

  it.each([
    [{ '--artifact': 's3://artifacts/x.tar.gz' }, 'mlops: --artifact does not apply with --onnx: the archive, its sha256 and the client token come from the packaged model'],
    [{ '--features': 'amount,is_foreign:text' }, 'mlops: --features: "is_foreign:text": Invalid option: expected one of "numeric"|"categorical" (types: numeric, categorical)'],
    [{ '--metrics': '{"auc":"high"}' }, 'mlops: --metrics: auc: Invalid input: expected number, received string'],
    [{ '--task': 'ranking' }, 'mlops: --task must be one of binary-classification, multiclass-classification, regression, got "ranking"'],
    [{ '--primary-metric': 'rmse' }, 'mlops: --primary-metric: "rmse" is not a measured metric (measured: auc, accuracy, f1, logLoss)'],
  ])('refuses bad flags %j with one line and exit 2', async (overrides, message) => {
    const result = await registerByom('fraud-flags', overrides);
    expect(result.code).toBe(2);
    expect(result.stderr.at(-1)).toBe(message);
    await expectNothingWritten('fraud-flags');
  });

  it('needs --holdout and --metrics with --onnx, and --onnx for the packaging flags', async () => {
    expect((await mlops('register', 'fraud-x', '--onnx', onnxFile)).stderr).toEqual([
      'mlops: register --onnx needs --holdout <file.csv>: the labelled holdout set the model is measured on',
    ]);
    expect((await mlops('register', 'fraud-x', '--artifact', 's3://a/b', '--features', 'a')).stderr).toEqual([
      'mlops: --features applies only with --onnx (bring your own model)',
    ]);
  });
});

// Multiclass models made by the Python toolchain (test/fixtures/models/make_models.py): a scikit-learn multinomial
// LogisticRegression in skl2onnx's default shape (probabilities only behind a ZipMap) and a PyTorch softmax MLP
// exported by torch.onnx.export, each with the framework's own probabilities on its holdout rows, the rows' true
// class labels as written, and scikit-learn's metrics on them.
const MULTICLASS = {
  iris: { fixture: 'iris-logistic', features: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], labels: 'setosa,versicolor,virginica' },
  wine: { fixture: 'wine-torch', features: undefined, labels: '1,2,3' },
} as const;
type MulticlassModel = keyof typeof MULTICLASS;

function multiclassFixture(model: MulticlassModel) {
  const { fixture, features, labels } = MULTICLASS[model];
  const expected = loadExpected(fixture);
  const featureNames = features ?? modelMetadataSchema.parse(JSON.parse(readFileSync(`test/fixtures/models/${fixture}.metadata.json`, 'utf8'))).features.map((f) => f.name);
  return { onnxFile: `test/fixtures/models/${fixture}.onnx`, expected, featureNames, labels: labels.split(',') };
}

/** CSV text of the rows with a "species" label column last; labels as written (formatCsv writes numbers only). */
const labelledCsv = (features: readonly string[], rows: number[][], label: (i: number) => string | number) =>
  [[...features, 'species'].join(','), ...rows.map((row, i) => [...row, label(i)].join(','))].join('\n');

/** The owner's holdout file: the features, then the class label as written in the data. */
async function multiclassHoldout(model: MulticlassModel): Promise<string> {
  const { expected, featureNames } = multiclassFixture(model);
  const file = join(dir, `${model}-holdout.csv`);
  await writeFile(file, labelledCsv(featureNames, expected.rows, (i) => expected.labels?.[i] ?? ''));
  return file;
}

async function registerMulticlass(model: MulticlassModel, overrides: Record<string, string> = {}) {
  const { onnxFile: onnx, expected, labels } = multiclassFixture(model);
  const { macroF1, logLoss } = expected.metrics ?? {};
  const flags = {
    '--onnx': onnx,
    '--holdout': await multiclassHoldout(model),
    '--task': 'multiclass-classification',
    '--labels': labels.join(','),
    '--metrics': JSON.stringify({ macroF1, logLoss }),
    ...overrides,
  };
  return mlops('register', model, ...Object.entries(flags).flat());
}

describe.each(Object.keys(MULTICLASS) as MulticlassModel[])('mlops models register --onnx of a multiclass model (%s)', (model) => {
  const { expected, labels } = multiclassFixture(model);

  it("registers it measured on the holdout labels as written: scikit-learn's own metrics are reproduced", async () => {
    const result = await registerMulticlass(model);
    expect(result.stderr.at(-1)).toMatch(/^register/);
    expect(result).toMatchObject({ code: 0, stdout: `registered ${model} v1 (pending_approval)` });
    const version = await doors.registry.getVersion(model, 1);
    for (const [name, value] of Object.entries(expected.metrics ?? {})) expect(Math.abs(version.metrics.holdout[name] - value)).toBeLessThan(1e-6);
  });

  it("serves probabilities equal to its framework's own within 1e-5 on every holdout row, labelled with the most probable class", async () => {
    const service = await servedBy(model, 1);
    const response = await service.handle({ method: 'POST', path: '/invocations', body: JSON.stringify({ instances: expected.rows }), requestId: 'parity' });
    expect(response.statusCode).toBe(200);
    const { predictions } = JSON.parse(response.body) as { predictions: { label: string | number; probabilities: number[] }[] };
    expect(predictions).toHaveLength(expected.rows.length);
    predictions.forEach((prediction, r) => {
      const framework = expected.expected[r] as number[];
      expect(prediction.probabilities).toHaveLength(labels.length);
      const worst = Math.max(...framework.map((p, c) => Math.abs(prediction.probabilities[c] - p)));
      expect(worst, `row ${r}`).toBeLessThanOrEqual(1e-5);
      expect(String(prediction.label)).toBe(labels[framework.indexOf(Math.max(...framework))]);
    });
  });

  it('stores the holdout set with class indices, and passes the deployment holdout check on the whole probability matrix', async () => {
    const version = await doors.registry.getVersion(model, 1);
    const { bucket, key } = parseS3Uri(version.holdoutUri ?? '');
    const { rows } = parseCsvText((await getObjectBytes(doors.s3, bucket, key)).toString('utf8'));
    expect(rows.map((row) => Number(row.at(-1)))).toEqual(expected.labels?.map((label) => labels.indexOf(String(label))));

    const parity = await holdoutCheckOf(model, 1);
    expect(parity).toMatchObject({ metric: 'macroF1', rows: expected.rows.length, task: 'multiclass-classification' });
    expect(parity.maxProbabilityDifference).toBe(0);
  });
});

describe('mlops models register --onnx of a scikit-learn model with a ZipMap output', () => {
  it('registers the model rewritten to return the ZipMap input, recording the change and the given file', async () => {
    const { onnxFile: onnx } = multiclassFixture('iris');
    const version = await doors.registry.getVersion('iris', 1);
    const { metadata: stored, onnx: served } = await unpackModelArchive(await getObjectBytes(doors.s3, doors.bucket, parseS3Uri(version.artifactUri).key));
    expect(stored).toMatchObject({
      task: 'multiclass-classification',
      labels: ['setosa', 'versicolor', 'virginica'],
      inputName: 'float_input',
      outputName: 'probabilities',
      rewrite: {
        change: 'ZipMap output "output_probability" replaced by its input tensor "probabilities"',
        originalSha256: createHash('sha256').update(await readFile(onnx)).digest('hex'),
      },
    });
    expect(served.equals(await readFile(onnx))).toBe(false);
  });

  it('refuses labels that list the ZipMap classes in another order, and a multiclass task without labels', async () => {
    const swapped = await registerMulticlass('iris', { '--labels': 'versicolor,setosa,virginica' });
    expect(swapped).toMatchObject({
      code: 2,
      stderr: ['mlops: --labels: the model\'s ZipMap orders its probability columns setosa, versicolor, virginica; the labels list them as versicolor, setosa, virginica'],
    });
    const holdout = await multiclassHoldout('iris');
    const missing = await mlops('register', 'iris-nolabels', '--onnx', multiclassFixture('iris').onnxFile, '--holdout', holdout, '--task', 'multiclass-classification', '--metrics', '{"accuracy":0.9}');
    expect(missing.code).toBe(2);
    expect(missing.stderr.at(-1)).toBe('mlops: --labels: invalid model registration: labels: a multiclass classifier needs its 3 or more class labels, in the order of its probability columns');
    await expectNothingWritten('iris-nolabels');
  });

  it('names the row and column of a holdout label that is not one of the classes', async () => {
    const file = join(dir, 'iris-typo.csv');
    const { expected, featureNames } = multiclassFixture('iris');
    await writeFile(file, labelledCsv(featureNames, expected.rows, (i) => (i === 4 ? 'setosaa' : (expected.labels?.[i] ?? ''))));
    const result = await registerMulticlass('iris', { '--holdout': file });
    expect(result.code).toBe(2);
    expect(result.stderr.at(-1)).toMatch(/^mlops: --holdout: .*species.*setosaa/);
  });
});
