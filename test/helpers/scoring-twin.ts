import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { CfnOutput, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { ScoringSchedule } from '../../contracts/batch-scoring';
import { sha256Hex } from '../../lambdas/inference/model-store';
import { parseCsvText } from '../../pipelines/common/csv';
import { DynamoRegistryStore, registryDocumentClient } from '../../lambdas/registry/dynamodb-store';
import { ModelRegistry } from '../../lambdas/registry/registry';
import { ArtifactStore } from '../../lib/artifact-store';
import { BatchScoring } from '../../lib/batch-scoring';
import { ModelRegistry as ModelRegistryConstruct } from '../../lib/model-registry';
import { LOCAL_CREDENTIALS } from '../../local/services/aws-environment';
import { Twin } from '../../local/twin';
import { fixtureArchive, loadFixture } from '../lambdas/inference/fixtures';
import { by, registration } from '../lambdas/registry/fixtures';
import { synthesize } from '../local/support/synth';

export const SCORING_MODEL = 'card-fraud';

/**
 * A twin of a registry, an artifact store and a BatchScoring state machine (output BatchScoringStateMachineArn, as
 * MlopsTeamStack names it), with the fraud-gbt fixture registered twice: v1 approved, v2 pending.
 */
export async function startScoringTwin(options: {
  maxConcurrency: number;
  /** The construct's schedules, given the artifact store's bucket name. @default none */
  schedules?: (bucket: string) => ScoringSchedule[];
  /** The twin's clock (schedules fire on it). @default 1 */
  timeScale?: number;
}) {
  const scratch = mkdtempSync(join(tmpdir(), 'scoring-twin-'));
  const cdkOut = synthesize((stack: Stack) => {
    const registry = new ModelRegistryConstruct(stack, 'Registry', { metricsNamespace: 'MLOps/fraud', removalPolicy: RemovalPolicy.DESTROY });
    const artifactStore = new ArtifactStore(stack, 'Artifacts', { removalPolicy: RemovalPolicy.DESTROY });
    const scoring = new BatchScoring(stack, 'Scoring', {
      modelName: SCORING_MODEL,
      registry,
      artifactStore,
      metricsNamespace: 'MLOps/fraud',
      maxConcurrency: options.maxConcurrency,
      schedules: options.schedules?.(artifactStore.bucket.bucketName),
    });
    new CfnOutput(stack, 'BatchScoringStateMachineArn', { value: scoring.stateMachine.stateMachineArn });
    new CfnOutput(stack, 'RegistryTableName', { value: registry.table.tableName });
    new CfnOutput(stack, 'ArtifactBucketName', { value: artifactStore.bucket.bucketName });
  });
  const stateFile = join(scratch, 'twin.json');
  const twin = await Twin.start({ cdkOut, dataDirectory: join(scratch, 'data'), stateFile, timeScale: options.timeScale });
  const { region } = twin.app.env;
  const s3 = new S3Client({ region, endpoint: twin.endpoints.s3, credentials: LOCAL_CREDENTIALS, forcePathStyle: true });
  const sfn = new SFNClient({ region, endpoint: twin.url, credentials: LOCAL_CREDENTIALS });
  const bucket = twin.output('ArtifactBucketName');
  const registry = new ModelRegistry(new DynamoRegistryStore(registryDocumentClient(twin.dynamodb.client(region)), twin.output('RegistryTableName')));
  const archive = fixtureArchive('fraud-gbt');
  const artifactUri = `s3://${bucket}/runs/run-1/model/job-1/output/model.tar.gz`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'runs/run-1/model/job-1/output/model.tar.gz', Body: archive }));
  for (const version of [1, 2]) {
    await registry.register({ ...registration(SCORING_MODEL, version), artifactUri, artifactSha256: sha256Hex(archive) }, 'pipeline:test');
  }
  await registry.approve(SCORING_MODEL, 1, by('alice'));
  return {
    twin,
    s3,
    sfn,
    bucket,
    registry,
    stateFile,
    fixture: loadFixture('fraud-gbt'),
    put: (key: string, body: string | Uint8Array) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body })),
    async stop() {
      s3.destroy();
      sfn.destroy();
      await twin.stop();
      rmSync(scratch, { recursive: true, force: true });
      rmSync(cdkOut, { recursive: true, force: true });
    },
  };
}
export type ScoringTwin = Awaited<ReturnType<typeof startScoringTwin>>;

/** Seeded transactions of the fraud-gbt fixture's features: an id, the features in reverse order, an unused column. */
export function transactions(rows: number, featureNames: readonly string[]): { csv: string; values: Float32Array } {
  let seed = 11;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const order = [...featureNames].reverse();
  const values = new Float32Array(rows * featureNames.length);
  const lines = [['txn_id', ...order, 'channel'].join(',')];
  for (let r = 0; r < rows; r++) {
    const row = featureNames.map((name) =>
      ['is_foreign', 'card_present'].includes(name) ? Math.round(next()) : name === 'merchant_category' ? Math.floor(next() * 8) : Number((next() * 200).toFixed(2)),
    );
    row.forEach((value, f) => (values[r * featureNames.length + f] = value));
    lines.push([`t${r}`, ...order.map((name) => row[featureNames.indexOf(name)]), 'web'].join(','));
  }
  return { csv: lines.join('\n') + '\n', values };
}

/**
 * The same rows as a CSV of transactions() in Parquet, `rowGroupSize` rows per row group: ids and channel as strings,
 * is_foreign and card_present as booleans, merchant_category as INT32, the other features as DOUBLE (each the number
 * the CSV's text reads as).
 */
export function transactionsParquet(csv: string, rowGroupSize: number): Uint8Array {
  const { header, rows } = parseCsvText(csv);
  const columnData = header.map((name, c) => {
    const cells = rows.map((row) => row[c]);
    if (name === 'txn_id' || name === 'channel') return { name, data: cells, type: 'STRING' as const };
    if (name === 'is_foreign' || name === 'card_present') return { name, data: cells.map((cell) => cell === '1'), type: 'BOOLEAN' as const };
    if (name === 'merchant_category') return { name, data: cells.map(Number), type: 'INT32' as const };
    return { name, data: cells.map(Number), type: 'DOUBLE' as const };
  });
  return new Uint8Array(parquetWriteBuffer({ columnData, rowGroupSize }));
}
