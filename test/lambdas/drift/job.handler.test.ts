import { gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoRegistryStore } from '../../../lambdas/registry/dynamodb-store';
import { ModelRegistry } from '../../../lambdas/registry/registry';
import { computeBaseline, type BaselineArtifacts } from '../../../lambdas/drift/baseline';
import { BaselineObjectError, decodeSortedValues, writeBaseline } from '../../../lambdas/drift/baseline-objects';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import type { HeldValueBound } from '../../../lambdas/drift/chunk-summarizer';
import { decideFromSummaries, runDriftJob, summarizeChunkToS3, type DriftJobReport } from '../../../lambdas/drift/drift-job';
import { driftSummaryKey, type DriftChunk } from '../../../contracts/drift-summary';
import { listCaptureWindow } from '../../../lambdas/drift/capture-window';
import { driftSettingsFromEnv } from '../../../lambdas/drift/settings-from-env';
import type { Baseline } from '../../../contracts/baseline';
import type { CaptureRecord } from '../../../contracts/capture-record';
import { emfOutput } from '../../helpers/emf-output';
import { lambdaEnvFor, startDynalite, type LocalDynamo } from '../../helpers/dynalite';
import { type LocalS3, S3RVER_CREDENTIALS, startS3rver } from '../../helpers/s3rver';
import { Random } from '../../../pipelines/common/random';
import { predictionDriftCase, relativeError, type PredictionDriftCase } from './fixtures';

const MODEL = 'card-fraud';
const BUCKET = 'artifacts';
const FEATURES = [
  { name: 'amount', type: 'numeric' },
  { name: 'hour', type: 'numeric' },
  { name: 'channel', type: 'categorical' },
] as const;

function rowsOf(n: number, seed: number, shift: number): number[][] {
  const r = new Random(seed);
  return Array.from({ length: n }, () => [
    Math.exp(3 + r.normal() * 0.5 + shift),
    Math.floor(r.uniform() * 24),
    r.uniform() < (shift > 0 ? 0.3 : 0.7) ? 0 : 1,
  ]);
}

const capture = (features: number[], version: number, at: Date, i: number): CaptureRecord => ({
  model: MODEL,
  modelVersion: version,
  at: at.toISOString(),
  requestId: `req-${version}-${i}`,
  features,
  prediction: 0.1,
});

const hourKey = (at: Date, file: string, model = MODEL) => {
  const p = (n: number) => String(n).padStart(2, '0');
  return `capture/${model}/${at.getUTCFullYear()}/${p(at.getUTCMonth() + 1)}/${p(at.getUTCDate())}/${p(at.getUTCHours())}/${file}`;
};

let dynamo: LocalDynamo;
let s3: LocalS3;
let registry: ModelRegistry;
let emf: () => Record<string, unknown>[];

async function putCapture(records: CaptureRecord[], at: Date, file: string, gzip: boolean) {
  const body = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: hourKey(at, file, records[0].model), Body: gzip ? gzipSync(body) : body }));
}

/** Writes a baseline as the processing job of `run` does: the sorted-values objects, then baseline.json. */
async function putBaseline(run: string, baseline: BaselineArtifacts): Promise<void> {
  await writeBaseline(
    async (key, body, contentType) => {
      await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: contentType }));
    },
    `runs/${run}/processed/baseline.json`,
    baseline,
  );
}

/** Registers a version of `model` with `baseline` (as written now, or a baseline.json as written before) and takes it live, as a deployment would. */
async function liveVersion(model: string, run: string, baseline: BaselineArtifacts | Baseline): Promise<number> {
  if ('document' in baseline) await putBaseline(run, baseline);
  else await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `runs/${run}/processed/baseline.json`, Body: JSON.stringify(baseline) }));
  const decision = { actor: 'test', reason: 'test' };
  const { version } = await registry.register(
    {
      model,
      artifactUri: `s3://${BUCKET}/runs/${run}/model/job/output/model.tar.gz`,
      artifactSha256: 'c'.repeat(64),
      metrics: { holdout: { accuracy: 0.9 } },
      baselineUri: `s3://${BUCKET}/runs/${run}/processed/baseline.json`,
    },
    'test',
  );
  await registry.approve(model, version.version, decision);
  await registry.beginDeployment(model, version.version, decision, 'deploy-test');
  await registry.finalizeDeployment(model, version.version, decision);
  return version.version;
}

/** Runs the handler with MODEL_NAME and DRIFT_CONFIG of another model, restoring the environment after. */
async function runHandlerFor(model: string, config: object) {
  const saved = { MODEL_NAME: process.env.MODEL_NAME, DRIFT_CONFIG: process.env.DRIFT_CONFIG };
  Object.assign(process.env, { MODEL_NAME: model, DRIFT_CONFIG: JSON.stringify(config) });
  try {
    return await runHandler();
  } finally {
    Object.assign(process.env, saved);
  }
}

/** Captured rows whose predicted classes are the fixture's, features drawn like the training data. */
function capturedPredictions(model: string, version: number, c: PredictionDriftCase, at: Date): CaptureRecord[] {
  const labels = Object.entries(c.predictedCounts).flatMap(([label, n]) => Array.from({ length: n }, () => label));
  const features = rowsOf(labels.length, 21, 0);
  const classes = (c.classes ?? [0, 1]).map(String);
  return labels.map((label, i) => {
    // The predicted class holds the largest probability; a binary record's prediction is the positive one's.
    const own = 0.55 + 0.4 * ((i % 10) / 10);
    const probabilities = classes.map((k) => (k === label ? own : (1 - own) / (classes.length - 1)));
    const prediction = c.task === 'binary-classification' ? probabilities[1] : own;
    const typed = c.classes?.find((k) => String(k) === label) ?? label;
    return { model, modelVersion: version, at: at.toISOString(), requestId: `req-${i}`, features: features[i], prediction, label: typed, ...(c.task === 'binary-classification' ? {} : { probabilities }) };
  });
}

async function clearCapture() {
  const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'capture/' }));
  const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
  for (const o of listed.Contents ?? []) await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: o.Key! }));
}

/**
 * The job step's result as the state machine gets it, with the report it stored (the state gets only the verdict:
 * a state's output is limited to 256 KiB).
 */
async function runHandler() {
  const { handler } = await import('../../../lambdas/drift/job.handler');
  const result = await handler({ execution: 'drift-test' });
  if (result.status !== 'evaluated') return result;
  expect(Object.keys(result)).not.toContain('report');
  const stored = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: result.reportUri.replace(`s3://${BUCKET}/`, '') }));
  const report = JSON.parse(await stored.Body!.transformToString()) as DriftJobReport;
  expect({ drifted: result.drifted, driftedFeatures: result.driftedFeatures, driftedFeatureShare: result.driftedFeatureShare }).toEqual({
    drifted: report.drifted,
    driftedFeatures: report.driftedFeatures,
    driftedFeatureShare: report.driftedFeatureShare,
  });
  return { ...result, report };
}

beforeAll(async () => {
  dynamo = await startDynalite();
  s3 = await startS3rver([BUCKET]);
  Object.assign(process.env, lambdaEnvFor(dynamo), {
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    // One key pair for both stand-ins: dynalite accepts any, s3rver only its own.
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    ARTIFACT_BUCKET: BUCKET,
    MODEL_NAME: MODEL,
    METRICS_NAMESPACE: 'MLOps/fraud',
    POWERTOOLS_SERVICE_NAME: 'drift',
    // Lambda's own: the function's memory, which bounds the feature values it holds.
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '2048',
    DRIFT_CONFIG: JSON.stringify({
      windowHours: 24,
      minSamples: 200,
      psi: { warning: 0.1, critical: 0.25 },
      driftedFeatureShare: 0.3,
      features: FEATURES,
      task: 'binary-classification',
    }),
  });

  // GIVEN a live version 1 whose baseline was computed from its training data
  const training = rowsOf(5000, 1, 0);
  await putBaseline('run-1', computeBaseline(FEATURES.map((f, c) => ({ ...f, values: training.map((row) => row[c]) }))));
  registry = new ModelRegistry(new DynamoRegistryStore(dynamo.documentClient, dynamo.tableName));
  const decision = { actor: 'test', reason: 'test' };
  await registry.register(
    {
      model: MODEL,
      artifactUri: `s3://${BUCKET}/runs/run-1/model/job/output/model.tar.gz`,
      artifactSha256: 'a'.repeat(64),
      metrics: { holdout: { auc: 0.9 } },
      baselineUri: `s3://${BUCKET}/runs/run-1/processed/baseline.json`,
    },
    'test',
  );
  await registry.approve(MODEL, 1, decision);
  await registry.beginDeployment(MODEL, 1, decision, 'deploy-test');
  await registry.finalizeDeployment(MODEL, 1, decision);
});

afterAll(async () => {
  await s3?.stop();
  await dynamo?.stop();
});

beforeEach(async () => {
  await clearCapture();
  vi.restoreAllMocks();
  emf = emfOutput();
});

const metricsOf = (name: string) => emf().filter((doc) => name in doc);
const dimensionsOf = (doc: Record<string, unknown>) => (doc._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0].Dimensions;

describe('drift job', () => {
  it('publishes per-feature PSI and KS, the drifted share, and writes a report when traffic drifted', async () => {
    // GIVEN shifted traffic of the live version, split over a gzip'd and a plain object in two hours,
    // plus rows of another version and rows older than the window that must be ignored
    const now = new Date();
    const hourAgo = new Date(now.getTime() - 3_600_000);
    const drifted = rowsOf(600, 7, 0.8);
    await putCapture(drifted.slice(0, 300).map((f, i) => capture(f, 1, hourAgo, i)), hourAgo, 'a.gz', true);
    await putCapture(drifted.slice(300).map((f, i) => capture(f, 1, now, 300 + i)), now, 'b.json', false);
    await putCapture(rowsOf(100, 9, 0).map((f, i) => capture(f, 2, now, i)), now, 'other-version.json', false);
    const old = new Date(now.getTime() - 30 * 3_600_000);
    await putCapture(rowsOf(100, 10, 0).map((f, i) => capture(f, 1, old, i)), old, 'old.json', false);

    // WHEN
    const result = await runHandler();

    // THEN
    expect(result.status).toBe('evaluated');
    if (result.status !== 'evaluated') return;
    expect(result.sampleCount).toBe(600);
    const byName = new Map(result.report.features.map((f) => [f.name, f]));
    expect(byName.get('amount')!.drifted).toBe(true);
    expect(byName.get('hour')!.drifted).toBe(false);
    expect(byName.get('channel')!.drifted).toBe(true);

    const [summary] = metricsOf('DriftedFeatureShare');
    expect(summary).toMatchObject({ Model: MODEL, DriftSampleCount: 600, DriftedFeatureShare: 2 / 3 });
    expect(dimensionsOf(summary)).toEqual([['Model']]);
    const perFeature = metricsOf('FeaturePsi');
    expect(perFeature.map((d) => d.Feature)).toEqual(['amount', 'hour', 'channel']);
    expect(perFeature[0]).toMatchObject({ Model: MODEL, FeaturePsi: byName.get('amount')!.psi, FeatureKsStatistic: byName.get('amount')!.ks!.statistic });
    expect(perFeature[2]).not.toHaveProperty('FeatureKsStatistic');
    expect(dimensionsOf(perFeature[0])).toEqual([['Model', 'Feature']]);

    const key = result.reportUri.replace(`s3://${BUCKET}/`, '');
    expect(key).toMatch(new RegExp(`^drift-reports/${MODEL}/\\d{4}-\\d\\d-\\d\\dT.*Z\\.json$`));
    const stored = JSON.parse(await (await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString());
    expect(stored).toMatchObject({ model: MODEL, version: 1, sampleCount: 600, drifted: true, driftedFeatures: 2 });
  });

  it('writes the same chunk summary from a worker that holds a few feature values at a time as from one that holds them all', async () => {
    // GIVEN a chunk of a gzip'd and a plain capture object of the live version, with another version's rows between
    const now = new Date();
    const start = new Date(now.getTime() - 3_600_000);
    await putCapture(rowsOf(250, 11, 0.3).map((f, i) => capture(f, 1, start, i)), start, 'a.gz', true);
    await putCapture([...rowsOf(40, 12, 0).map((f, i) => capture(f, 2, now, i)), ...rowsOf(150, 13, 0).map((f, i) => capture(f, 1, now, 250 + i))], now, 'b.json', false);
    const keys = (await listCaptureWindow(s3.client, BUCKET, MODEL, start, now)).map((o) => o.key);
    const chunk = { chunk: 0, keys, version: 1, baselineUri: `s3://${BUCKET}/runs/run-1/processed/baseline.json`, windowStart: start.toISOString(), windowEnd: now.toISOString() };
    const settings = driftSettingsFromEnv();
    const written = async (execution: string, heldValues: HeldValueBound) => {
      const { summaryKey, rows } = await summarizeChunkToS3({ s3: s3.client }, { ...settings, heldValues }, { ...chunk, execution });
      const object = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: summaryKey }));
      return { rows, summary: JSON.parse(await object.Body!.transformToString()) as unknown };
    };
    // WHEN one worker holds every value of the chunk (2048 MB) and another at most 7 (3 rows of 2 numeric features)
    const whole = await written('whole', settings.heldValues);
    const bounded = await written('bounded', () => 7);
    // THEN both summarize the chunk's 400 rows of version 1 into the same counts
    expect(whole.rows).toBe(400);
    expect(bounded).toEqual(whole);
  });

  it('decides a fanned-out run from its chunk summaries read several at once, as the single function decides the window', async () => {
    // GIVEN a window of 10 capture objects of drifted traffic, planned as one chunk per object
    const now = new Date();
    for (let file = 0; file < 10; file++) await putCapture(rowsOf(60, 30 + file, 0.4).map((f, i) => capture(f, 1, now, 60 * file + i)), now, `part-${file}.json`, false);
    const settings = driftSettingsFromEnv();
    const deps = { s3: s3.client, registry, metrics: new Metrics({ namespace: 'MLOps/test' }), logger: new Logger({ logLevel: 'SILENT' }) };
    const planned = await runDriftJob(deps, { ...settings, config: { ...settings.config, bytesPerChunk: 1 } }, 'fanned');
    if (planned.status !== 'fan-out') throw new Error(`expected a fan-out, got ${planned.status}`);
    const chunks = JSON.parse(await (await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: planned.plan.chunksKey }))).Body!.transformToString()) as DriftChunk[];
    for (const chunk of chunks) await summarizeChunkToS3({ s3: s3.client }, settings, chunk);
    // WHEN the decide step reads the 10 summaries through a client that counts the reads in flight
    let inFlight = 0;
    let most = 0;
    let reads = 0;
    const counting = {
      send: async (command: Parameters<S3Client['send']>[0]) => {
        const read = command instanceof GetObjectCommand && command.input.Key!.includes('/summaries/');
        if (read) reads++;
        if (read) most = Math.max(most, ++inFlight);
        try {
          return await s3.client.send(command as GetObjectCommand);
        } finally {
          if (read) inFlight--;
        }
      },
    } as unknown as S3Client;
    const decided = await decideFromSummaries({ ...deps, s3: counting }, settings, planned.plan);
    // THEN 8 were read at once (the most for summaries this small), and the verdicts are the single function's on the same window
    expect(planned.plan.chunks).toBe(10);
    expect(most).toBe(8);
    const single = await runHandler();
    if (decided.status !== 'evaluated' || single.status !== 'evaluated') throw new Error('expected both runs evaluated');
    expect(decided.sampleCount).toBe(600);
    expect(decided.report.features).toEqual(single.report.features);
    expect(decided.report.driftedFeatures).toBeGreaterThan(0);
    // AND a decide step whose memory does not hold the baseline's references fails, naming the memory, before it reads a summary
    reads = 0;
    await expect(decideFromSummaries({ ...deps, s3: counting }, { ...settings, memoryMiB: 256 }, planned.plan)).rejects.toMatchObject({
      name: 'DriftMemoryError',
      message: expect.stringMatching(/a drift function of 256 MiB cannot hold them .* set the team config's drift\.memoryMiB/),
    });
    expect(reads).toBe(0);
    // AND a summary written on one line (before summaries were written a feature a line) is read whole, to the same verdicts
    const first = driftSummaryKey(settings.model, planned.plan.execution, 0);
    const document = JSON.parse(await (await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: first }))).Body!.transformToString()) as unknown;
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: first, Body: JSON.stringify(document) }));
    const mixed = await decideFromSummaries(deps, settings, planned.plan);
    expect(mixed.status === 'evaluated' && mixed.report.features).toEqual(single.report.features);
    // AND a cut-off summary fails the run, naming the object and where it ends
    const text = await (await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: driftSummaryKey(settings.model, planned.plan.execution, 1) }))).Body!.transformToString();
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: first, Body: text.split('\n').slice(0, 3).join('\n') }));
    await expect(decideFromSummaries(deps, settings, planned.plan)).rejects.toMatchObject({
      name: 'DriftJobError',
      message: `chunk summary s3://${BUCKET}/${first} is invalid: it ends after 2 features, without its closing "]}"`,
    });
  });

  it('fails a run whose function has too little memory for the baseline beside the window, naming the memory to set', async () => {
    // GIVEN rows of the live version in the window, and a function of 128 MB (below what a drift function reserves)
    const now = new Date();
    await putCapture(rowsOf(300, 11, 0).map((f, i) => capture(f, 1, now, i)), now, 'small.json', false);
    process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE = '128';
    try {
      // THEN the run fails with a DriftMemoryError that names drift.memoryMiB, before it holds the window
      await expect(runHandler()).rejects.toMatchObject({
        name: 'DriftMemoryError',
        message: expect.stringMatching(/a drift function of 128 MiB cannot hold them .* set the team config's drift\.memoryMiB \(DriftMonitorProps\.memorySize\) to at least \d+, or write baselines of fewer sorted values a feature/),
      });
    } finally {
      process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE = '2048';
    }
  });

  it('does not flag traffic drawn like the training data', async () => {
    // GIVEN
    const now = new Date();
    await putCapture(rowsOf(800, 11, 0).map((f, i) => capture(f, 1, now, i)), now, 'same.json', false);
    // WHEN
    const result = await runHandler();
    // THEN
    expect(result.status).toBe('evaluated');
    if (result.status !== 'evaluated') return;
    expect(result.report.driftedFeatures).toBe(0);
    expect(metricsOf('DriftedFeatureShare')[0]).toMatchObject({ DriftedFeatureShare: 0, DriftSampleCount: 800 });
    // The baseline was written before it recorded the training labels' class mix: the predicted classes are not judged.
    expect(result.report.prediction).toBeUndefined();
    expect(metricsOf('PredictionDriftPsi')).toEqual([]);
  });

  it('has nothing to compare, and does not fail, before the model is first registered (the schedule starts with the stack)', async () => {
    process.env.MODEL_NAME = 'registered-later';
    try {
      expect(await runHandler()).toEqual({ status: 'no-live-version' });
    } finally {
      process.env.MODEL_NAME = MODEL;
    }
    expect(emf()).toHaveLength(0);
  });

  it('publishes only the sample count when the window has fewer than minSamples rows', async () => {
    // GIVEN
    const now = new Date();
    await putCapture(rowsOf(50, 12, 1).map((f, i) => capture(f, 1, now, i)), now, 'few.json', false);
    // WHEN
    const result = await runHandler();
    // THEN
    expect(result).toEqual({ status: 'insufficient-samples', version: 1, sampleCount: 50, minSamples: 200 });
    expect(emf()).toHaveLength(1);
    expect(emf()[0]).toMatchObject({ Model: MODEL, DriftSampleCount: 50 });
    expect(emf()[0]).not.toHaveProperty('DriftedFeatureShare');
  });

  it('compares with the pinned served version (EKS) instead of the registry\'s live one', async () => {
    // GIVEN version 2, approved but never marked live (EKS pods serve it), trained on shifted data
    const shifted = rowsOf(5000, 2, 1);
    await putBaseline('run-2', computeBaseline(FEATURES.map((f, c) => ({ ...f, values: shifted.map((row) => row[c]) }))));
    const { version } = await registry.register(
      {
        model: MODEL,
        artifactUri: `s3://${BUCKET}/runs/run-2/model/job/output/model.tar.gz`,
        artifactSha256: 'b'.repeat(64),
        metrics: { holdout: { auc: 0.9 } },
        baselineUri: `s3://${BUCKET}/runs/run-2/processed/baseline.json`,
      },
      'test',
    );
    await registry.approve(MODEL, version.version, { actor: 'test', reason: 'test' });
    // and traffic of both versions, version 2's drawn like its training data
    const now = new Date();
    await putCapture(rowsOf(600, 13, 1).map((f, i) => capture(f, version.version, now, i)), now, 'v2.json', false);
    await putCapture(rowsOf(300, 14, 0).map((f, i) => capture(f, 1, now, i)), now, 'v1.json', false);
    const config = process.env.DRIFT_CONFIG!;
    process.env.DRIFT_CONFIG = JSON.stringify({ ...JSON.parse(config), servedVersion: version.version });
    try {
      // WHEN
      const result = await runHandler();
      // THEN only version 2's rows are compared, with version 2's baseline: no drift
      expect(result).toMatchObject({ status: 'evaluated', version: version.version, sampleCount: 600 });
      if (result.status === 'evaluated') expect(result.report.driftedFeatures).toBe(0);
    } finally {
      process.env.DRIFT_CONFIG = config;
    }
  });
});

describe('drift job: predicted classes against the training labels\' class mix', () => {
  const SPECIES = 'species';
  const BINARY = 'churn';
  let speciesVersion: number;
  let binaryVersion: number;
  const multiclassConfig = () => ({
    ...JSON.parse(process.env.DRIFT_CONFIG!),
    task: 'multiclass-classification',
    classes: predictionDriftCase('multiclass-same-mix').classes,
  });
  const binaryConfig = () => ({ ...JSON.parse(process.env.DRIFT_CONFIG!), task: 'binary-classification' });

  beforeAll(async () => {
    // GIVEN live versions of a multiclass and a binary model whose baselines record the training labels' class mix
    const training = rowsOf(5000, 1, 0);
    const features = computeBaseline(FEATURES.map((f, c) => ({ ...f, values: training.map((row) => row[c]) })));
    const same = predictionDriftCase('multiclass-same-mix');
    speciesVersion = await liveVersion(SPECIES, 'run-species', { ...features, document: { ...features.document, target: { name: 'species', counts: same.targetCounts } } });
    const binary = predictionDriftCase('binary-shifted-mix');
    binaryVersion = await liveVersion(BINARY, 'run-churn', { ...features, document: { ...features.document, target: { name: 'churned', counts: binary.targetCounts } } });
  });

  it('finds no prediction drift when the predicted classes are mixed like the training labels', async () => {
    // GIVEN a window whose predicted classes are drawn with the training shares
    const c = predictionDriftCase('multiclass-same-mix');
    const now = new Date();
    await putCapture(capturedPredictions(SPECIES, speciesVersion, c, now), now, 'same.json', false);
    // WHEN
    const result = await runHandlerFor(SPECIES, multiclassConfig());
    // THEN
    expect(result.status).toBe('evaluated');
    if (result.status !== 'evaluated') return;
    const prediction = result.report.prediction!;
    expect(prediction).toMatchObject({ drifted: false, psiLevel: 'ok', reasons: [], count: 1200, unclassified: 0, unknownClasses: {} });
    expect(relativeError(prediction.chiSquared.pValue, c.pValue)).toBeLessThan(1e-10);
    expect(result.report.drifted).toBe(false);
    const [summary] = metricsOf('PredictionDriftPsi');
    expect(summary).toMatchObject({ Model: SPECIES, PredictionDriftPsi: prediction.psi, PredictionDriftChiSquaredPValue: prediction.chiSquared.pValue });
    expect(summary.PredictionDriftPsi).toBeLessThan(0.1);
  });

  it('flags a window whose predicted class mix shifted, by PSI and chi-squared, in the metrics and the report', async () => {
    // GIVEN a window of the same features whose predictions moved toward the rarest class
    const c = predictionDriftCase('multiclass-shifted-mix');
    const now = new Date();
    await putCapture(capturedPredictions(SPECIES, speciesVersion, c, now), now, 'shifted.json', false);
    // WHEN
    const result = await runHandlerFor(SPECIES, multiclassConfig());
    // THEN the prediction drifted while no feature did
    expect(result.status).toBe('evaluated');
    if (result.status !== 'evaluated') return;
    expect(result.report.driftedFeatures).toBe(0);
    const prediction = result.report.prediction!;
    expect(prediction.drifted).toBe(true);
    expect(prediction.psiLevel).toBe('critical');
    expect(prediction.reasons).toEqual([
      `PSI ${c.psi.toFixed(4)} >= 0.25`,
      `chi-squared p-value ${c.pValue.toExponential(3)} < 0.01 with effect size ${c.effectSize.toFixed(4)} >= 0.1`,
    ]);
    // and the EMF values are scipy's and numpy's
    const [summary] = metricsOf('PredictionDriftPsi');
    expect(dimensionsOf(summary)).toEqual([['Model']]);
    expect(relativeError(summary.PredictionDriftPsi as number, c.psi)).toBeLessThan(1e-12);
    expect(relativeError(summary.PredictionDriftChiSquaredPValue as number, c.pValue)).toBeLessThan(1e-10);
    expect(summary).toMatchObject({ Model: SPECIES, DriftedFeatureShare: 0, DriftSampleCount: 1200 });
    // and the stored report has the prediction section with a row per class
    const key = result.reportUri.replace(`s3://${BUCKET}/`, '');
    const stored = JSON.parse(await (await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString());
    expect(stored.prediction.classes.map((x: { class: string; predicted: number }) => [x.class, x.predicted])).toEqual(
      c.categories.map((label) => [label, c.predictedCounts[label]]),
    );
    expect(stored).toMatchObject({ model: SPECIES, drifted: false, prediction: { drifted: true } });
  });

  it('judges a binary classifier\'s predicted classes by its positive probability', async () => {
    // GIVEN a window with three times the training share of predicted positives
    const c = predictionDriftCase('binary-shifted-mix');
    const now = new Date();
    await putCapture(capturedPredictions(BINARY, binaryVersion, c, now), now, 'binary.json', true);
    // WHEN
    const result = await runHandlerFor(BINARY, binaryConfig());
    // THEN
    expect(result.status).toBe('evaluated');
    if (result.status !== 'evaluated') return;
    expect(result.report.prediction!.classes.map((x) => x.predicted)).toEqual([c.predictedCounts['0'], c.predictedCounts['1']]);
    const [summary] = metricsOf('PredictionDriftPsi');
    expect(relativeError(summary.PredictionDriftPsi as number, c.psi)).toBeLessThan(1e-12);
    expect(relativeError(summary.PredictionDriftChiSquaredPValue as number, c.pValue)).toBeLessThan(1e-10);
    expect(result.report.prediction!.drifted).toBe(c.drifted);
  });

  it('publishes no prediction drift for a regressor', async () => {
    // GIVEN the multiclass model's rows, judged as if the model were a regressor
    const now = new Date();
    await putCapture(capturedPredictions(SPECIES, speciesVersion, predictionDriftCase('multiclass-same-mix'), now), now, 'r.json', false);
    // WHEN
    const result = await runHandlerFor(SPECIES, { ...multiclassConfig(), task: 'regression', classes: undefined });
    // THEN
    expect(result.status).toBe('evaluated');
    if (result.status === 'evaluated') expect(result.report.prediction).toBeUndefined();
    expect(metricsOf('PredictionDriftPsi')).toEqual([]);
  });

  it('refuses a multiclass DRIFT_CONFIG without its classes, naming the field', async () => {
    await expect(runHandlerFor(SPECIES, { ...multiclassConfig(), classes: undefined })).rejects.toThrow(
      /DRIFT_CONFIG is invalid: DRIFT_CONFIG\.classes: a multiclass-classification model lists its classes/,
    );
  });

  it('refuses a memory size Lambda would not give, naming the variable (it bounds the feature values held)', async () => {
    for (const size of ['', 'lots', '64']) {
      process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE = size;
      try {
        await expect(runHandler()).rejects.toThrow(/^AWS_LAMBDA_FUNCTION_MEMORY_SIZE is invalid: AWS_LAMBDA_FUNCTION_MEMORY_SIZE: /);
      } finally {
        process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE = '2048';
      }
    }
  });
});

describe('drift job: the baseline\'s sorted values', () => {
  const config = () => JSON.parse(process.env.DRIFT_CONFIG!) as object;
  const training = rowsOf(5000, 1, 0);
  const artifacts = () => computeBaseline(FEATURES.map((f, c) => ({ ...f, values: training.map((row) => row[c]) })));

  it('compares with a baseline written before the sorted objects (formatVersion 1, the sample inline) as with one written now', async () => {
    // GIVEN two live models of the same training data: one whose baseline.json is formatVersion 1, as the processing
    // job wrote it before (5,000 rows: its sample held every value, sorted), and one written now
    const now = artifacts();
    const legacy: Baseline = {
      formatVersion: 1,
      rowCount: now.document.rowCount,
      features: now.document.features.map((f) => {
        if (f.type === 'categorical') return f;
        const { sortedValues, ...summary } = f;
        const object = now.objects.find((o) => o.path === sortedValues.path)!;
        return { ...summary, sample: Array.from(decodeSortedValues(object.body, sortedValues, sortedValues.path)) };
      }),
    };
    const legacyVersion = await liveVersion('legacy', 'run-legacy', legacy);
    const currentVersion = await liveVersion('current', 'run-current', now);
    // and the same drifted traffic for both
    const at = new Date();
    const window = rowsOf(600, 7, 0.8);
    await putCapture(window.map((f, i) => capture(f, legacyVersion, at, i)).map((r) => ({ ...r, model: 'legacy' })), at, 'legacy.json', false);
    await putCapture(window.map((f, i) => capture(f, currentVersion, at, i)).map((r) => ({ ...r, model: 'current' })), at, 'current.json', false);
    // WHEN
    const fromLegacy = await runHandlerFor('legacy', config());
    const fromCurrent = await runHandlerFor('current', config());
    // THEN the same verdicts and statistics, KS included
    expect(fromLegacy.status).toBe('evaluated');
    if (fromLegacy.status !== 'evaluated' || fromCurrent.status !== 'evaluated') throw new Error('not evaluated');
    expect(fromLegacy.report.features).toEqual(fromCurrent.report.features);
    expect(fromLegacy.report.features.find((f) => f.name === 'amount')).toMatchObject({ drifted: true, ks: { statistic: expect.any(Number) } });
  });

  it('refuses a sorted-values object whose SHA-256 is not the one baseline.json records, naming the object', async () => {
    // GIVEN a live model whose "amount" object was replaced after baseline.json recorded it
    const version = await liveVersion('tampered', 'run-tampered', artifacts());
    const key = 'runs/run-tampered/processed/baseline/amount.f64';
    const stored = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const bytes = await stored.Body!.transformToByteArray();
    bytes[0] ^= 1;
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bytes }));
    const at = new Date();
    await putCapture(rowsOf(300, 7, 0).map((f, i) => ({ ...capture(f, version, at, i), model: 'tampered' })), at, 'tampered.json', false);
    // WHEN / THEN
    const run = runHandlerFor('tampered', config());
    await expect(run).rejects.toThrow(BaselineObjectError);
    await expect(runHandlerFor('tampered', config())).rejects.toThrow(
      new RegExp(`^baseline object s3://${BUCKET}/${key} has SHA-256 [0-9a-f]{64}; baseline.json records [0-9a-f]{64}$`),
    );
  });
});
