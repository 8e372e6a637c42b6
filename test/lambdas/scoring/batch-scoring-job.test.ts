import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeMapRunCommand, ListMapRunsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { CfnOutput, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScoringManifest, ScoringRequest } from '../../../contracts/batch-scoring';
import { ModelSession } from '../../../lambdas/inference/model-session';
import { sha256Hex } from '../../../lambdas/inference/model-store';
import { encodePrediction } from '../../../lambdas/inference/predict';
import { DynamoRegistryStore, registryDocumentClient } from '../../../lambdas/registry/dynamodb-store';
import { ModelRegistry } from '../../../lambdas/registry/registry';
import { ArtifactStore } from '../../../lib/artifact-store';
import { BatchScoring } from '../../../lib/batch-scoring';
import { ModelRegistry as ModelRegistryConstruct } from '../../../lib/model-registry';
import { LOCAL_CREDENTIALS } from '../../../local/services/aws-environment';
import { Twin } from '../../../local/twin';
import { parseCsvText } from '../../../pipelines/common/csv';
import { fixtureArchive, loadFixture } from '../inference/fixtures';
import { synthesize } from '../../local/support/synth';
import { by, registration } from '../registry/fixtures';

const MODEL = 'card-fraud';
/** Scored by the twin's BatchScoring state machine; a million, as a team scores an offline dataset. */
const ROWS = 1_000_000;
const ROWS_PER_CHUNK = 50_000;

const scratch = mkdtempSync(join(tmpdir(), 'batch-scoring-'));
let twin: Twin;
let s3: S3Client;
let sfnClient: SFNClient;
let bucket: string;
let registry: ModelRegistry;
const fixture = loadFixture('fraud-gbt');
const features = fixture.metadata.features.map((f) => f.name);

/** Seeded transactions: an id, the model's features in another order, and a column the model does not read. */
function transactions(rows: number): { csv: string; values: Float32Array } {
  let seed = 11;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const order = [...features].reverse();
  const values = new Float32Array(rows * features.length);
  const lines = [['txn_id', ...order, 'channel'].join(',')];
  for (let r = 0; r < rows; r++) {
    const row = features.map((name) => (['is_foreign', 'card_present'].includes(name) ? Math.round(next()) : name === 'merchant_category' ? Math.floor(next() * 8) : Number((next() * 200).toFixed(2))));
    row.forEach((value, f) => (values[r * features.length + f] = value));
    lines.push([`t${r}`, ...order.map((name) => row[features.indexOf(name)]), 'web'].join(','));
  }
  return { csv: lines.join('\n') + '\n', values };
}

beforeAll(async () => {
  const cdkOut = synthesize((stack: Stack) => {
    const registryTable = new ModelRegistryConstruct(stack, 'Registry', { metricsNamespace: 'MLOps/fraud', removalPolicy: RemovalPolicy.DESTROY });
    const artifactStore = new ArtifactStore(stack, 'Artifacts', { removalPolicy: RemovalPolicy.DESTROY });
    const scoring = new BatchScoring(stack, 'Scoring', { modelName: MODEL, registry: registryTable, artifactStore, metricsNamespace: 'MLOps/fraud', maxConcurrency: 4 });
    new CfnOutput(stack, 'ScoringArn', { value: scoring.stateMachine.stateMachineArn });
    new CfnOutput(stack, 'RegistryTableName', { value: registryTable.table.tableName });
    new CfnOutput(stack, 'ArtifactBucketName', { value: artifactStore.bucket.bucketName });
  });
  twin = await Twin.start({ cdkOut, dataDirectory: join(scratch, 'data') });
  const { region } = twin.app.env;
  s3 = new S3Client({ region, endpoint: twin.endpoints.s3, credentials: LOCAL_CREDENTIALS, forcePathStyle: true });
  sfnClient = new SFNClient({ region, endpoint: twin.url, credentials: LOCAL_CREDENTIALS });
  bucket = twin.output('ArtifactBucketName');
  registry = new ModelRegistry(new DynamoRegistryStore(registryDocumentClient(twin.dynamodb.client(region)), twin.output('RegistryTableName')));
  const archive = fixtureArchive('fraud-gbt');
  const artifactUri = `s3://${bucket}/runs/run-1/model/job-1/output/model.tar.gz`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'runs/run-1/model/job-1/output/model.tar.gz', Body: archive }));
  await registry.register({ ...registration(MODEL, 1), artifactUri, artifactSha256: sha256Hex(archive) }, 'pipeline:test');
  await registry.register({ ...registration(MODEL, 2), artifactUri, artifactSha256: sha256Hex(archive) }, 'pipeline:test');
  await registry.approve(MODEL, 1, by('alice'));
}, 180_000);
afterAll(async () => {
  s3?.destroy();
  sfnClient?.destroy();
  await twin?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function score(request: ScoringRequest) {
  const { executionArn } = await sfnClient.send(new StartExecutionCommand({ stateMachineArn: twin.output('ScoringArn'), input: JSON.stringify(request) }));
  return { executionArn: executionArn!, execution: await twin.states.describe(executionArn!).done };
}
const text = async (key: string) => (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();

describe('BatchScoring in the twin', () => {
  it(`scores ${ROWS.toLocaleString('en')} rows in chunks on a Distributed Map, each row exactly as the live response scores it`, async () => {
    const { csv, values } = transactions(ROWS);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'scoring/inputs/transactions.csv', Body: csv }));
    const request = { input: `s3://${bucket}/scoring/inputs/transactions.csv`, output: `s3://${bucket}/scoring/outputs/run-1`, version: 1, rowIdColumn: 'txn_id', rowsPerChunk: ROWS_PER_CHUNK };
    const { executionArn, execution } = await score(request);
    expect(execution.status, `${execution.error}: ${execution.cause}`).toBe('SUCCEEDED');

    const manifest = JSON.parse(await text('scoring/outputs/run-1/manifest.json')) as ScoringManifest;
    expect(manifest).toMatchObject({ model: MODEL, version: 1, input: request.input, rows: ROWS });
    expect(manifest.parts).toHaveLength(ROWS / ROWS_PER_CHUNK);
    expect(manifest.parts.map((p) => p.firstRow)).toEqual(Array.from({ length: ROWS / ROWS_PER_CHUNK }, (_, i) => i * ROWS_PER_CHUNK));

    // The live function's answer for every row: the same session and response encoding the inference tier runs.
    const session = await ModelSession.create(fixture);
    const live = JSON.parse(encodePrediction(session, await session.run(values, ROWS), ROWS, 1).body).predictions as Array<{ label: number; probabilities: number[] }>;
    await session.release();
    let row = 0;
    let mismatches = 0;
    for (const part of manifest.parts) {
      const parsed = parseCsvText(await text(part.uri.replace(`s3://${bucket}/`, '')));
      expect(parsed.header).toEqual(['row_id', 'model_version', 'label', 'probability_0', 'probability_1']);
      for (const [id, version, label, p0, p1] of parsed.rows) {
        const expected = live[row];
        if (id !== `t${row}` || version !== '1' || Number(label) !== expected.label || Number(p0) !== expected.probabilities[0] || Number(p1) !== expected.probabilities[1]) mismatches++;
        row++;
      }
    }
    expect(row).toBe(ROWS);
    expect(mismatches).toBe(0);

    const [mapRun] = (await sfnClient.send(new ListMapRunsCommand({ executionArn }))).mapRuns!;
    expect(await sfnClient.send(new DescribeMapRunCommand({ mapRunArn: mapRun.mapRunArn! }))).toMatchObject({
      status: 'SUCCEEDED',
      maxConcurrency: 4,
      executionCounts: { total: ROWS / ROWS_PER_CHUNK, succeeded: ROWS / ROWS_PER_CHUNK, failed: 0 },
    });
  }, 600_000);

  it('refuses, naming why: no live version to default to, a version never approved, an input without a feature', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'scoring/inputs/small.csv', Body: transactions(10).csv }));
    const small = { input: `s3://${bucket}/scoring/inputs/small.csv`, output: `s3://${bucket}/scoring/outputs/refused` };
    const noLive = (await score(small)).execution;
    expect(noLive).toMatchObject({ status: 'FAILED', error: 'ScoringInputError' });
    expect(noLive.cause).toContain('card-fraud has no live version; name one with --version');

    const pending = (await score({ ...small, version: 2 })).execution;
    expect(pending).toMatchObject({ status: 'FAILED', error: 'ModelUnavailableError' });
    expect(pending.cause).toContain('model \\"card-fraud\\" v2 is pending_approval: only a version that was approved may be served');

    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'scoring/inputs/no-amount.csv', Body: 'txn_id,hour_of_day\nt0,3\n' }));
    const missing = (await score({ ...small, input: `s3://${bucket}/scoring/inputs/no-amount.csv`, version: 1 })).execution;
    expect(missing).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    expect(missing.cause).toContain('ScoringInputError');
    expect(missing.cause).toContain('the input has no column for features \\"amount\\"');
  }, 120_000);
});
