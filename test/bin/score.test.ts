import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../bin/commands/score';
import { main } from '../../bin/mlops';
import { type ScoringTwin, startScoringTwin, transactions } from '../helpers/scoring-twin';

let scoring: ScoringTwin;
beforeAll(async () => {
  scoring = await startScoringTwin({ maxConcurrency: 2 });
  await scoring.put('scoring/inputs/week.csv', transactions(4_000, scoring.fixture.metadata.features.map((f) => f.name)).csv);
}, 180_000);
afterAll(async () => scoring?.stop());

async function mlopsScore(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run([...args, '--twin', scoring.stateFile], { stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
  return { code, out, err };
}

describe('mlops score', () => {
  it('starts a run on the stack\'s BatchScoring state machine, prints each new count of scored chunks, and the manifest at the end', async () => {
    const input = `s3://${scoring.bucket}/scoring/inputs/week.csv`;
    const output = `s3://${scoring.bucket}/scoring/outputs/week`;
    const { code, out, err } = await mlopsScore('--input', input, '--output', output, '--version', '1', '--row-id', 'txn_id', '--rows-per-chunk', '1000');
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out[0]).toMatch(new RegExp(`^scoring ${input} with v1 \\(execution arn:aws:states:[^)]+\\)$`));
    const counts = out.slice(1, -1);
    // Every line is a new count, ending with all four chunks.
    expect(counts.every((line) => /^chunks scored: \d\/4$/.test(line))).toBe(true);
    expect(new Set(counts).size).toBe(counts.length);
    expect(counts.at(-1)).toBe('chunks scored: 4/4');
    expect(out.at(-1)).toBe(`scored 4000 rows with v1; manifest ${output}/manifest.json`);
    const manifest = JSON.parse(await (await scoring.s3.send(new GetObjectCommand({ Bucket: scoring.bucket, Key: 'scoring/outputs/week/manifest.json' }))).Body!.transformToString());
    expect(manifest).toMatchObject({ version: 1, rows: 4000, input });
  }, 120_000);

  it('exits 1 naming the failure when the run fails, 2 naming the option when one is bad, and is listed by mlops help', async () => {
    const failed = await mlopsScore('--input', `s3://${scoring.bucket}/scoring/inputs/week.csv`, '--output', `s3://${scoring.bucket}/scoring/outputs/x`, '--version', '2');
    expect(failed.code).toBe(1);
    expect(failed.err.join('\n')).toMatch(/^mlops: scoring FAILED: ModelUnavailableError: .*v2 is pending_approval: only a version that was approved may be served/);

    const bad = await mlopsScore('--input', 'data.csv', '--output', `s3://${scoring.bucket}/o`, '--version', 'two');
    expect(bad.code).toBe(2);
    expect(bad.err).toEqual(['mlops: --input: expected s3://bucket/key; --version: Invalid input: expected number, received string']);

    const missing = await mlopsScore('--input', `s3://${scoring.bucket}/scoring/inputs/week.csv`);
    expect([missing.code, missing.err]).toEqual([2, ['mlops: --output is required; see mlops score help']]);

    const help: string[] = [];
    expect(await main(['help'], { stdout: (s) => help.push(s), stderr: (s) => help.push(s) })).toBe(0);
    expect(help.join('\n')).toContain('score --input s3://... --output s3://...');
  }, 60_000);
});
