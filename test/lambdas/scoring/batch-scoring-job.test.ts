import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DescribeMapRunCommand, ListMapRunsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScoringManifest, ScoringRequest } from '../../../contracts/batch-scoring';
import { ModelSession } from '../../../lambdas/inference/model-session';
import { encodePrediction } from '../../../lambdas/inference/predict';
import { parseCsvText } from '../../../pipelines/common/csv';
import { SCORING_MODEL, type ScoringTwin, startScoringTwin, transactions, transactionsParquet } from '../../helpers/scoring-twin';
import { loadFixture } from '../inference/fixtures';

const features = loadFixture('fraud-gbt').metadata.features.map((f) => f.name);

/** Scored by the twin's BatchScoring state machine; a million, as a team scores an offline dataset. */
const ROWS = 1_000_000;
const ROWS_PER_CHUNK = 50_000;

let scoring: ScoringTwin;
beforeAll(async () => {
  scoring = await startScoringTwin({ maxConcurrency: 4 });
}, 180_000);
afterAll(async () => scoring?.stop());

async function score(request: ScoringRequest) {
  const { executionArn } = await scoring.sfn.send(new StartExecutionCommand({ stateMachineArn: scoring.twin.output('BatchScoringStateMachineArn'), input: JSON.stringify(request) }));
  return { executionArn: executionArn!, execution: await scoring.twin.states.describe(executionArn!).done };
}
const text = async (key: string) => (await scoring.s3.send(new GetObjectCommand({ Bucket: scoring.bucket, Key: key }))).Body!.transformToString();

describe('BatchScoring in the twin', () => {
  it(`scores ${ROWS.toLocaleString('en')} rows in chunks on a Distributed Map, each row exactly as the live response scores it`, async () => {
    const { csv, values } = transactions(ROWS, features);
    await scoring.put('scoring/inputs/transactions.csv', csv);
    const request = { input: `s3://${scoring.bucket}/scoring/inputs/transactions.csv`, output: `s3://${scoring.bucket}/scoring/outputs/run-1`, version: 1, rowIdColumn: 'txn_id', rowsPerChunk: ROWS_PER_CHUNK };
    const { executionArn, execution } = await score(request);
    expect(execution.status, `${execution.error}: ${execution.cause}`).toBe('SUCCEEDED');

    const manifest = JSON.parse(await text('scoring/outputs/run-1/manifest.json')) as ScoringManifest;
    expect(manifest).toMatchObject({ model: SCORING_MODEL, version: 1, input: request.input, rows: ROWS });
    expect(manifest.parts).toHaveLength(ROWS / ROWS_PER_CHUNK);
    expect(manifest.parts.map((p) => p.firstRow)).toEqual(Array.from({ length: ROWS / ROWS_PER_CHUNK }, (_, i) => i * ROWS_PER_CHUNK));

    // The live function's answer for every row: the same session and response encoding the inference tier runs.
    const session = await ModelSession.create(scoring.fixture);
    const live = JSON.parse(encodePrediction(session, await session.run(values, ROWS), ROWS, 1, 'scoring-parity').body).predictions as Array<{ label: number; probabilities: number[] }>;
    await session.release();
    let row = 0;
    let mismatches = 0;
    for (const part of manifest.parts) {
      const parsed = parseCsvText(await text(part.uri.replace(`s3://${scoring.bucket}/`, '')));
      expect(parsed.header).toEqual(['row_id', 'model_version', 'label', 'probability_0', 'probability_1']);
      for (const [id, version, label, p0, p1] of parsed.rows) {
        const expected = live[row];
        if (id !== `t${row}` || version !== '1' || Number(label) !== expected.label || Number(p0) !== expected.probabilities[0] || Number(p1) !== expected.probabilities[1]) mismatches++;
        row++;
      }
    }
    expect(row).toBe(ROWS);
    expect(mismatches).toBe(0);

    const [mapRun] = (await scoring.sfn.send(new ListMapRunsCommand({ executionArn }))).mapRuns!;
    expect(await scoring.sfn.send(new DescribeMapRunCommand({ mapRunArn: mapRun.mapRunArn! }))).toMatchObject({
      status: 'SUCCEEDED',
      maxConcurrency: 4,
      executionCounts: { total: ROWS / ROWS_PER_CHUNK, succeeded: ROWS / ROWS_PER_CHUNK, failed: 0 },
    });
  }, 600_000);

  it('refuses, naming why: no live version to default to, a version never approved, an input without a feature', async () => {
    await scoring.put('scoring/inputs/small.csv', transactions(10, features).csv);
    const small = { input: `s3://${scoring.bucket}/scoring/inputs/small.csv`, output: `s3://${scoring.bucket}/scoring/outputs/refused` };
    const noLive = (await score(small)).execution;
    expect(noLive).toMatchObject({ status: 'FAILED', error: 'ScoringInputError' });
    expect(noLive.cause).toContain('card-fraud has no live version; name one with --version');

    const pending = (await score({ ...small, version: 2 })).execution;
    expect(pending).toMatchObject({ status: 'FAILED', error: 'ModelUnavailableError' });
    expect(pending.cause).toContain('model \\"card-fraud\\" v2 is pending_approval: only a version that was approved may be served');

    await scoring.put('scoring/inputs/no-amount.csv', 'txn_id,hour_of_day\nt0,3\n');
    const missing = (await score({ ...small, input: `s3://${scoring.bucket}/scoring/inputs/no-amount.csv`, version: 1 })).execution;
    expect(missing).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    expect(missing.cause).toContain('ScoringInputError');
    expect(missing.cause).toContain('the input has no column for features \\"amount\\"');
  }, 120_000);

  it('scores a Parquet file in chunks of whole row groups into the same parts as the CSV of the same rows', async () => {
    const { csv } = transactions(12_345, features);
    await scoring.put('scoring/inputs/same.csv', csv);
    await scoring.put('scoring/inputs/same.parquet', transactionsParquet(csv, 1_000));
    const request = (input: string, output: string) => ({ input: `s3://${scoring.bucket}/scoring/inputs/${input}`, output: `s3://${scoring.bucket}/scoring/outputs/${output}`, version: 1, rowIdColumn: 'txn_id', rowsPerChunk: 3_000 });
    for (const [input, output] of [['same.csv', 'from-csv'], ['same.parquet', 'from-parquet']]) {
      const { execution } = await score(request(input, output));
      expect(execution.status, `${input}: ${execution.error}: ${execution.cause}`).toBe('SUCCEEDED');
    }
    const fromCsv = JSON.parse(await text('scoring/outputs/from-csv/manifest.json')) as ScoringManifest;
    const fromParquet = JSON.parse(await text('scoring/outputs/from-parquet/manifest.json')) as ScoringManifest;
    // Row groups of 1,000 gathered into chunks of 3,000, as the CSV's rows are.
    expect(fromParquet.parts.map((p) => [p.firstRow, p.rows])).toEqual([[0, 3_000], [3_000, 3_000], [6_000, 3_000], [9_000, 3_000], [12_000, 345]]);
    expect(fromParquet.parts.map((p) => [p.firstRow, p.rows])).toEqual(fromCsv.parts.map((p) => [p.firstRow, p.rows]));
    const key = (uri: string) => uri.replace(`s3://${scoring.bucket}/`, '');
    for (let i = 0; i < fromCsv.parts.length; i++) {
      expect(await text(key(fromParquet.parts[i].uri)), `part ${i}`).toBe(await text(key(fromCsv.parts[i].uri)));
    }
  }, 300_000);
});
