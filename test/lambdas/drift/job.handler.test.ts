import { gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoRegistryStore } from '../../../lambdas/registry/dynamodb-store';
import { ModelRegistry } from '../../../lambdas/registry/registry';
import { computeBaseline } from '../../../lambdas/drift/baseline';
import type { CaptureRecord } from '../../../lambdas/shared/capture-record';
import { lambdaEnvFor, startDynalite, type LocalDynamo } from '../../helpers/dynalite';
import { type LocalS3, S3RVER_CREDENTIALS, startS3rver } from '../../helpers/s3rver';
import { Random } from '../../../pipelines/common/random';

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

const hourKey = (at: Date, file: string) => {
  const p = (n: number) => String(n).padStart(2, '0');
  return `capture/${MODEL}/${at.getUTCFullYear()}/${p(at.getUTCMonth() + 1)}/${p(at.getUTCDate())}/${p(at.getUTCHours())}/${file}`;
};

let dynamo: LocalDynamo;
let s3: LocalS3;
let registry: ModelRegistry;
let emf: Record<string, unknown>[];

async function putCapture(records: CaptureRecord[], at: Date, file: string, gzip: boolean) {
  const body = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: hourKey(at, file), Body: gzip ? gzipSync(body) : body }));
}

async function clearCapture() {
  const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'capture/' }));
  const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
  for (const o of listed.Contents ?? []) await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: o.Key! }));
}

async function runHandler() {
  const { handler } = await import('../../../lambdas/drift/job.handler');
  return handler();
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
    DRIFT_CONFIG: JSON.stringify({
      windowHours: 24,
      minSamples: 200,
      psi: { warning: 0.1, critical: 0.25 },
      driftedFeatureShare: 0.3,
      features: FEATURES,
    }),
  });

  // GIVEN a live version 1 whose baseline was computed from its training data
  const training = rowsOf(5000, 1, 0);
  const baseline = computeBaseline(FEATURES.map((f, c) => ({ ...f, values: training.map((row) => row[c]) })));
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'runs/run-1/processed/baseline.json', Body: JSON.stringify(baseline) }));
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
  await registry.beginDeployment(MODEL, 1, decision);
  await registry.finalizeDeployment(MODEL, 1, decision);
});

afterAll(async () => {
  await s3?.stop();
  await dynamo?.stop();
});

beforeEach(async () => {
  await clearCapture();
  emf = [];
  vi.restoreAllMocks();
  // Powertools writes EMF documents to stdout; keep them, pass everything else through.
  const write = process.stdout.write.bind(process.stdout) as (chunk: string | Uint8Array) => boolean;
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    const text = String(chunk);
    if (!text.includes('"_aws"')) return write(chunk);
    for (const line of text.split('\n')) if (line.includes('"_aws"')) emf.push(JSON.parse(line));
    return true;
  }) as typeof process.stdout.write);
});

const metricsOf = (name: string) => emf.filter((doc) => name in doc);

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
    expect((summary._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0].Dimensions).toEqual([['Model']]);
    const perFeature = metricsOf('FeaturePsi');
    expect(perFeature.map((d) => d.Feature)).toEqual(['amount', 'hour', 'channel']);
    expect(perFeature[0]).toMatchObject({ Model: MODEL, FeaturePsi: byName.get('amount')!.psi, FeatureKsStatistic: byName.get('amount')!.ks!.statistic });
    expect(perFeature[2]).not.toHaveProperty('FeatureKsStatistic');
    expect((perFeature[0]._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0].Dimensions).toEqual([['Model', 'Feature']]);

    const key = result.reportUri.replace(`s3://${BUCKET}/`, '');
    expect(key).toMatch(new RegExp(`^drift-reports/${MODEL}/\\d{4}-\\d\\d-\\d\\dT.*Z\\.json$`));
    const stored = JSON.parse(await (await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString());
    expect(stored).toMatchObject({ model: MODEL, version: 1, sampleCount: 600, drifted: true, driftedFeatures: 2 });
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
  });

  it('publishes only the sample count when the window has fewer than minSamples rows', async () => {
    // GIVEN
    const now = new Date();
    await putCapture(rowsOf(50, 12, 1).map((f, i) => capture(f, 1, now, i)), now, 'few.json', false);
    // WHEN
    const result = await runHandler();
    // THEN
    expect(result).toEqual({ status: 'insufficient-samples', version: 1, sampleCount: 50, minSamples: 200 });
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ Model: MODEL, DriftSampleCount: 50 });
    expect(emf[0]).not.toHaveProperty('DriftedFeatureShare');
  });

  it('compares with the pinned served version (EKS) instead of the registry\'s live one', async () => {
    // GIVEN version 2, approved but never marked live (EKS pods serve it), trained on shifted data
    const shifted = rowsOf(5000, 2, 1);
    const baseline = computeBaseline(FEATURES.map((f, c) => ({ ...f, values: shifted.map((row) => row[c]) })));
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'runs/run-2/processed/baseline.json', Body: JSON.stringify(baseline) }));
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
