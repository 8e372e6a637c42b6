import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, DescribeMapRunCommand, ListMapRunsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { CfnOutput, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureRecord } from '../../contracts/capture-record';
import { computeBaseline } from '../../lambdas/drift/baseline';
import { readSortedValues, writeBaseline } from '../../lambdas/drift/baseline-objects';
import { compareFeatures, referencesFromBaseline } from '../../lambdas/drift/compare';
import { DEFAULT_DRIFT_THRESHOLDS } from '../../lambdas/drift/drift-config';
import { WindowColumns } from '../../lambdas/drift/window-columns';
import { DynamoRegistryStore, registryDocumentClient } from '../../lambdas/registry/dynamodb-store';
import { ModelRegistry } from '../../lambdas/registry/registry';
import { ArtifactStore } from '../../lib/artifact-store';
import { DriftMonitor } from '../../lib/drift-monitor';
import { ModelRegistry as ModelRegistryConstruct } from '../../lib/model-registry';
import { waitFor } from '../../local/driver/loop-session';
import { LOCAL_CREDENTIALS } from '../../local/services/aws-environment';
import { Twin } from '../../local/twin';
import { Random } from '../../pipelines/common/random';
import { synthesize } from '../local/support/synth';

const MODEL = 'card-fraud';
const FEATURES = [
  { name: 'amount', type: 'numeric' },
  { name: 'hour', type: 'numeric' },
  { name: 'channel', type: 'categorical' },
] as const;
const OBJECTS = 24;
const ROWS_PER_OBJECT = 150;

function rowsOf(n: number, r: Random, shift: number): number[][] {
  return Array.from({ length: n }, () => [Math.exp(3 + r.normal() * 0.5 + shift), Math.floor(r.uniform() * 24), r.uniform() < (shift > 0 ? 0.3 : 0.7) ? 0 : 1]);
}

let scratch: string;
let cdkOut: string;
let twin: Twin;
let s3: S3Client;
let sfnClient: SFNClient;
let bucket: string;
let records: CaptureRecord[];

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'drift-twin-'));
  // GIVEN a stack of a registry, an artifact store and a drift monitor whose runs split more than 16 KiB of capture into chunks
  cdkOut = synthesize((stack: Stack) => {
    const registry = new ModelRegistryConstruct(stack, 'Registry', { metricsNamespace: 'MLOps/fraud', removalPolicy: RemovalPolicy.DESTROY });
    const artifactStore = new ArtifactStore(stack, 'Artifacts', { removalPolicy: RemovalPolicy.DESTROY });
    const monitor = new DriftMonitor(stack, 'DriftMonitor', {
      modelName: MODEL,
      features: FEATURES,
      task: 'binary-classification',
      registry,
      artifactStore,
      trainingPipeline: sfn.StateMachine.fromStateMachineArn(stack, 'Training', 'arn:aws:states:us-east-1:000000000000:stateMachine:training'),
      metricsNamespace: 'MLOps/fraud',
      team: 'fraud',
      schedule: 'rate(7 days)',
      bytesPerChunk: 16 * 1024,
      maxConcurrency: 3,
    });
    new CfnOutput(stack, 'DriftStateMachineArn', { value: monitor.stateMachine.stateMachineArn });
    new CfnOutput(stack, 'RegistryTableName', { value: registry.table.tableName });
    new CfnOutput(stack, 'ArtifactBucketName', { value: artifactStore.bucket.bucketName });
  });
  twin = await Twin.start({ cdkOut, dataDirectory: join(scratch, 'data'), stateFile: join(scratch, 'twin.json') });
  const { region } = twin.app.env;
  s3 = new S3Client({ region, endpoint: twin.endpoints.s3, credentials: LOCAL_CREDENTIALS, forcePathStyle: true });
  sfnClient = new SFNClient({ region, endpoint: twin.url, credentials: LOCAL_CREDENTIALS });
  bucket = twin.output('ArtifactBucketName');

  // AND a live version 1 whose baseline was computed from its training data
  const training = rowsOf(5000, new Random(1), 0);
  await writeBaseline(
    async (key, body, contentType) => void (await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }))),
    'runs/run-1/processed/baseline.json',
    computeBaseline(FEATURES.map((f, c) => ({ ...f, values: training.map((row) => row[c]) }))),
  );
  const registry = new ModelRegistry(new DynamoRegistryStore(registryDocumentClient(twin.dynamodb.client(region)), twin.output('RegistryTableName')));
  const decision = { actor: 'test', reason: 'test' };
  await registry.register(
    {
      model: MODEL,
      artifactUri: `s3://${bucket}/runs/run-1/model/job/output/model.tar.gz`,
      artifactSha256: 'a'.repeat(64),
      metrics: { holdout: { auc: 0.9 } },
      baselineUri: `s3://${bucket}/runs/run-1/processed/baseline.json`,
    },
    'test',
  );
  await registry.approve(MODEL, 1, decision);
  await registry.beginDeployment(MODEL, 1, decision, 'deploy-test');
  await registry.finalizeDeployment(MODEL, 1, decision);

  // AND drifted traffic over many capture objects of the last hour, gzip'd and plain
  const r = new Random(7);
  const at = new Date(Date.now() - 30 * 60_000);
  const p = (n: number) => String(n).padStart(2, '0');
  const hour = `capture/${MODEL}/${at.getUTCFullYear()}/${p(at.getUTCMonth() + 1)}/${p(at.getUTCDate())}/${p(at.getUTCHours())}/`;
  records = [];
  for (let o = 0; o < OBJECTS; o++) {
    const objectRecords = rowsOf(ROWS_PER_OBJECT, r, o % 2 === 0 ? 0.6 : 0).map(
      (features, i): CaptureRecord => ({ model: MODEL, modelVersion: 1, at: at.toISOString(), requestId: `r-${o}-${i}`, features, prediction: r.uniform() }),
    );
    records.push(...objectRecords);
    const body = objectRecords.map((record) => JSON.stringify(record)).join('\n') + '\n';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${hour}part-${p(o)}${o % 3 === 0 ? '.gz' : ''}`, Body: o % 3 === 0 ? gzipSync(body) : body }));
  }
}, 300_000);

afterAll(async () => {
  s3?.destroy();
  sfnClient?.destroy();
  await twin?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  if (cdkOut) rmSync(cdkOut, { recursive: true, force: true });
});

describe('the drift state machine on the twin', () => {
  it("fans a window of many capture objects out over a Distributed Map and publishes the single pass's metrics and report", async () => {
    // WHEN a run starts (as the schedule starts one)
    const { executionArn } = await sfnClient.send(new StartExecutionCommand({ stateMachineArn: twin.output('DriftStateMachineArn'), input: '{}' }));
    const status = await waitFor('drift run', 180_000, async () => {
      const described = await sfnClient.send(new DescribeExecutionCommand({ executionArn }));
      return described.status === 'RUNNING' ? undefined : described;
    });

    // THEN it succeeded after summarizing every chunk on the Distributed Map
    expect(status.status, status.cause).toBe('SUCCEEDED');
    const execution = executionArn!.split(':').at(-1)!;
    const chunks = JSON.parse(
      await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `drift-runs/${MODEL}/${execution}/chunks.json` }))).Body!.transformToString(),
    ) as { keys: string[] }[];
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.flatMap((c) => c.keys)).toHaveLength(OBJECTS);
    const { mapRuns } = await sfnClient.send(new ListMapRunsCommand({ executionArn }));
    expect(mapRuns).toHaveLength(1);
    const mapRun = await sfnClient.send(new DescribeMapRunCommand({ mapRunArn: mapRuns![0].mapRunArn }));
    expect(mapRun).toMatchObject({ status: 'SUCCEEDED', maxConcurrency: 3, itemCounts: { succeeded: chunks.length, total: chunks.length } });

    // AND its metrics and report are those of the single pass over the same rows
    const baselineUri = `s3://${bucket}/runs/run-1/processed/baseline.json`;
    const baseline = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'runs/run-1/processed/baseline.json' }))).Body!.transformToString());
    const names = FEATURES.map((f) => f.name);
    const window = new WindowColumns(MODEL, 1, { features: [...FEATURES], task: 'binary-classification' });
    for (const record of records) window.add(record);
    const expected = compareFeatures(referencesFromBaseline(baseline, names, await readSortedValues(s3, baselineUri, baseline, names)), window.columns(), DEFAULT_DRIFT_THRESHOLDS);
    expect(expected.drifted).toBe(true);
    const metric = (metricName: string, dimensions: Record<string, string>) =>
      twin.metrics.query({ namespace: 'MLOps/fraud', metricName, dimensions, stat: 'Maximum', periodMs: 3_600_000 }, 0, Date.now() + 1).values;
    expect(metric('DriftSampleCount', { Model: MODEL })).toEqual([OBJECTS * ROWS_PER_OBJECT]);
    expect(metric('DriftedFeatureShare', { Model: MODEL })).toEqual([expected.driftedFeatureShare]);
    for (const feature of expected.features) {
      expect(metric('FeaturePsi', { Model: MODEL, Feature: feature.name })).toEqual([feature.psi]);
      if (feature.ks) expect(metric('FeatureKsStatistic', { Model: MODEL, Feature: feature.name })).toEqual([feature.ks.statistic]);
    }
    const reports = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `drift-reports/${MODEL}/` }));
    expect(reports.Contents).toHaveLength(1);
    const report = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: reports.Contents![0].Key! }))).Body!.transformToString());
    expect(report).toMatchObject({ version: 1, sampleCount: OBJECTS * ROWS_PER_OBJECT, baselineUri, features: JSON.parse(JSON.stringify(expected.features)), drifted: true });
  }, 240_000);
});
