import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureRecord } from '../../../contracts/capture-record';
import { predictionId } from '../../../contracts/prediction-id';
import { runQualityJob } from '../../../lambdas/quality/quality-job';
import type { QualityConfig } from '../../../lambdas/quality/quality-config';
import type { ModelRegistry } from '../../../lambdas/registry/registry';
import { parseCsvText } from '../../../pipelines/common/csv';
import { Random } from '../../../pipelines/common/random';
import { listKeys } from '../../../pipelines/common/s3';
import { emfOutput } from '../../helpers/emf-output';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { type LocalS3, startS3rver } from '../../helpers/s3rver';
import { registration, registryOn } from '../registry/fixtures';
import { sklearnQuality } from './sklearn-reference';

const MODEL = 'card-fraud';
const NOW = new Date('2026-12-03T12:00:00.000Z');
const CONFIG: QualityConfig = {
  windowHours: 24,
  minLabelled: 50,
  task: 'binary-classification',
  features: ['amount', 'hour'],
  labelColumn: 'is_fraud',
  trainingDatasetPrefix: 'datasets/card-fraud/',
};

let dynamo: LocalDynamo;
let s3: LocalS3;
let registry: ModelRegistry;

beforeAll(async () => {
  [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
  registry = registryOn(dynamo);
  // v1 live, v2 registered: both versions' predictions of the same requests are captured (the job measures each).
  const decision = { actor: 'test', reason: 'test' };
  const { version } = await registry.register(registration(MODEL, 1), 'pipeline:test');
  await registry.approve(MODEL, version.version, decision);
  await registry.beginDeployment(MODEL, version.version, decision, 'deploy-test');
  await registry.finalizeDeployment(MODEL, version.version, decision);
  await registry.register(registration(MODEL, 2), 'pipeline:test');
});
afterAll(async () => {
  await Promise.all([dynamo.stop(), s3.stop()]);
});

const hourKey = (at: Date, file: string) => {
  const p = (n: number) => String(n).padStart(2, '0');
  return `capture/${MODEL}/${at.getUTCFullYear()}/${p(at.getUTCMonth() + 1)}/${p(at.getUTCDate())}/${p(at.getUTCHours())}/${file}`;
};

/** 1000 predictions in 100 requests of 10 rows: v1 for every row, v2 for the first 600; true labels drawn so the model is informative. */
function traffic() {
  const random = new Random(7);
  const rows: { id: string; features: number[]; p1: number; p2: number; truth: number }[] = [];
  for (let request = 0; request < 100; request++) {
    for (let row = 0; row < 10; row++) {
      const truth = random.uniform() < 0.3 ? 1 : 0;
      const p1 = Math.min(0.999, Math.max(0.001, 0.35 * truth + 0.65 * random.uniform()));
      const p2 = Math.min(0.999, Math.max(0.001, 0.5 * truth + 0.5 * random.uniform()));
      rows.push({ id: predictionId(`req-${request}`, row), features: [100 + request, row], p1, p2, truth });
    }
  }
  return rows;
}

function captureRecord(version: number, row: ReturnType<typeof traffic>[number], at: Date): CaptureRecord {
  const prediction = version === 1 ? row.p1 : row.p2;
  const [requestId] = row.id.split(':');
  return { model: MODEL, modelVersion: version, at: at.toISOString(), requestId, predictionId: row.id, features: row.features, prediction, label: prediction > 0.5 ? 1 : 0 };
}

async function put(key: string, body: string) {
  await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body }));
}

const jsonl = (items: unknown[]) => items.map((item) => JSON.stringify(item)).join('\n') + '\n';

async function runJob() {
  const emf = emfOutput();
  const metrics = new Metrics({ namespace: 'MLOps/fraud' });
  metrics.clearDefaultDimensions();
  const report = await runQualityJob({ s3: s3.client, registry, metrics, logger: new Logger({ logLevel: 'SILENT' }), now: () => NOW }, { bucket: s3.bucket, model: MODEL, config: CONFIG });
  return { report, documents: emf() };
}

describe('quality job', () => {
  const rows = traffic();
  let first: Awaited<ReturnType<typeof runJob>>;

  beforeAll(async () => {
    // GIVEN the captured predictions of two hours, and an old capture outside the window
    const at = new Date(NOW.getTime() - 2 * 3_600_000);
    await put(hourKey(at, 'a.jsonl'), jsonl(rows.slice(0, 500).flatMap((row, i) => [captureRecord(1, row, at), ...(i < 600 ? [captureRecord(2, row, at)] : [])])));
    const later = new Date(NOW.getTime() - 3_600_000);
    await put(hourKey(later, 'b.jsonl'), jsonl(rows.slice(500).flatMap((row, i) => [captureRecord(1, row, later), ...(500 + i < 600 ? [captureRecord(2, row, later)] : [])])));
    // AND labels for the 1000 predictions, from the feedback route and a team's own drop, one of them no class of the
    // model, with 25 unknown ids and two lines that are no label
    await put('labels/card-fraud/feedback/2026-12-03/a.jsonl', jsonl(rows.slice(0, 400).map((row) => ({ predictionId: row.id, label: row.truth }))));
    await put(
      'labels/card-fraud/crm-export/2026-12-03.jsonl',
      jsonl([
        ...rows.slice(400, 999).map((row) => ({ predictionId: row.id, label: String(row.truth) })),
        { predictionId: rows[999].id, label: 'maybe' },
        ...Array.from({ length: 25 }, (_, i) => ({ predictionId: `never-served:${i}`, label: 1 })),
      ]) + '{"predictionId": "req-0:0"}\nnot json\n',
    );
    await put('labels/card-fraud/notes.txt', 'not a label object');
    // WHEN the job runs
    first = await runJob();
  });

  it('measures each version on its labelled predictions exactly as scikit-learn does on the same rows', () => {
    const reference = sklearnQuality('binary-classification', {
      1: { truths: rows.slice(0, 999).map((r) => r.truth), predictions: rows.slice(0, 999).map((r) => r.p1) },
      2: { truths: rows.slice(0, 600).map((r) => r.truth), predictions: rows.slice(0, 600).map((r) => r.p2) },
    });
    const [v1, v2] = first.report.versions;
    expect(v1).toMatchObject({ modelVersion: 1, labelled: 999 });
    expect(v2).toMatchObject({ modelVersion: 2, labelled: 600 });
    for (const [quality, expected] of [[v1, reference[1]], [v2, reference[2]]] as const) {
      for (const measure of ['auc', 'accuracy', 'logLoss'] as const) expect(quality[measure], `v${quality.modelVersion} ${measure}`).toBeCloseTo(expected[measure], 12);
    }
    // v2 predicts better here (its probabilities lean harder on the truth).
    expect(v2.auc!).toBeGreaterThan(v1.auc!);
  });

  it('counts labels that found no captured prediction, labels that are no class, and lines that are no label, and loses none', () => {
    expect(first.report).toMatchObject({ labelObjects: 2, labels: 1025, unmatchedLabels: 25, unusableLabels: 1, invalidLabelLines: 2 });
    expect(first.report.unmatchedExamples).toHaveLength(20);
    expect(first.report.unmatchedExamples.every((id) => id.startsWith('never-served:'))).toBe(true);
    expect(first.report.invalidLabelExamples).toEqual([
      'labels/card-fraud/crm-export/2026-12-03.jsonl line 626: label: expected the true class label (a string or number) or the observed value (a number)',
      expect.stringMatching(/^labels\/card-fraud\/crm-export\/2026-12-03\.jsonl line 627: not JSON: /),
    ]);
  });

  it('publishes per-version measures (Model, ModelVersion) and the live version\'s alone under Model, which the alarms watch', () => {
    const withDimensions = (dimensions: string[]) =>
      first.documents.filter((d) => JSON.stringify((d._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0].Dimensions) === JSON.stringify([dimensions]));
    const perVersion = withDimensions(['Model', 'ModelVersion']);
    expect(perVersion.map((d) => [d.ModelVersion, d.LabelledPredictions, d.QualityAuc])).toEqual([
      ['1', 999, first.report.versions[0].auc],
      ['2', 600, first.report.versions[1].auc],
    ]);
    const served = withDimensions(['Model']);
    expect(served.find((d) => 'QualityAuc' in d)).toMatchObject({ Model: MODEL, QualityAuc: first.report.versions[0].auc, QualityAccuracy: first.report.versions[0].accuracy, LabelledPredictions: 999 });
    expect(served.find((d) => 'UnmatchedLabels' in d)).toMatchObject({ UnmatchedLabels: 25, UnusableLabels: 1 });
    expect(first.report.servedVersion).toBe(1);
  });

  it('adds the joined rows to the training data once, one CSV per label object in the raw layout, each with a lineage record', async () => {
    expect(first.report.labelledRows?.written.map((w) => [w.csvUri, w.rows])).toEqual([
      ['s3://artifacts/datasets/card-fraud/production-labels/feedback/2026-12-03/a.csv', 400],
      ['s3://artifacts/datasets/card-fraud/production-labels/crm-export/2026-12-03.csv', 599],
    ]);
    const text = async (key: string) => (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToString();
    const csv = parseCsvText(await text('datasets/card-fraud/production-labels/feedback/2026-12-03/a.csv'));
    expect(csv.header).toEqual(['amount', 'hour', 'is_fraud']);
    expect(csv.rows.slice(0, 2)).toEqual(rows.slice(0, 2).map((r) => [...r.features, r.truth].map(String)));
    const lineage = JSON.parse(await text('datasets/card-fraud/production-labels/feedback/2026-12-03/a.lineage.json'));
    expect(lineage).toMatchObject({ source: 'production-labels', labelsUri: 's3://artifacts/labels/card-fraud/feedback/2026-12-03/a.jsonl', rows: 400 });
    expect(lineage.predictions[0]).toEqual({ predictionId: 'req-0:0', modelVersion: 1 });

    // WHEN the job runs again over the same window
    const second = await runJob();
    // THEN it measures the same and adds nothing
    expect(second.report.versions).toEqual(first.report.versions);
    expect(second.report.labelledRows).toEqual({ written: [], alreadyAdded: 2 });
    expect((await listKeys(s3.client, s3.bucket, 'datasets/')).length).toBe(4);
  });
});
