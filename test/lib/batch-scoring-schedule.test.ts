import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScoringManifest } from '../../contracts/batch-scoring';
import { parseCsvText } from '../../pipelines/common/csv';
import { SCORING_MODEL, type ScoringTwin, startScoringTwin, transactions } from '../helpers/scoring-twin';

/** At 60x, rate(10 minutes) fires every 10 s: time to put the input before the first run. */
const TIME_SCALE = 60;

let scoring: ScoringTwin;
beforeAll(async () => {
  scoring = await startScoringTwin({
    maxConcurrency: 2,
    timeScale: TIME_SCALE,
    schedules: (bucket) => [{ expression: 'rate(10 minutes)', input: `s3://${bucket}/scoring/inputs/nightly.csv`, output: `s3://${bucket}/scoring/outputs/nightly`, version: 1, rowIdColumn: 'txn_id', rowsPerChunk: 100 }],
  });
}, 180_000);
afterAll(async () => scoring?.stop());

describe('BatchScoring schedules in the twin', () => {
  it("starts a scoring run on the rule's schedule, which writes under the output and the event's time", async () => {
    const features = scoring.fixture.metadata.features.map((f) => f.name);
    await scoring.put('scoring/inputs/nightly.csv', transactions(250, features).csv);
    // The first run the schedule starts, to its end.
    const ended = await new Promise<{ executionArn: string }>((resolve) => {
      const stop = scoring.twin.states.onStatusChange((change) => {
        if (change.status === 'RUNNING') return;
        stop();
        resolve(change);
      });
    });
    const execution = scoring.twin.states.describe(ended.executionArn);
    expect(execution.status, `${execution.error}: ${execution.cause}`).toBe('SUCCEEDED');
    expect(execution.stateMachineArn).toBe(scoring.twin.output('BatchScoringStateMachineArn'));

    const request = (typeof execution.input === 'string' ? JSON.parse(execution.input) : execution.input) as { output: string };
    expect(request.output).toMatch(new RegExp(`^s3://${scoring.bucket}/scoring/outputs/nightly/\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
    const key = `${request.output.slice(`s3://${scoring.bucket}/`.length)}/manifest.json`;
    const manifest = JSON.parse(await (await scoring.s3.send(new GetObjectCommand({ Bucket: scoring.bucket, Key: key }))).Body!.transformToString()) as ScoringManifest;
    expect(manifest).toMatchObject({ model: SCORING_MODEL, version: 1, rows: 250, execution: ended.executionArn.split(':').pop() });
    expect(manifest.parts).toHaveLength(3);
    const first = parseCsvText(await (await scoring.s3.send(new GetObjectCommand({ Bucket: scoring.bucket, Key: manifest.parts[0].uri.replace(`s3://${scoring.bucket}/`, '') }))).Body!.transformToString());
    expect(first.rows.map((row) => row[0])).toEqual(Array.from({ length: 100 }, (_, r) => `t${r}`));
  }, 120_000);
});
