import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listKeys } from '../../../pipelines/common/s3';
import { datasetToCsv, generateTransactions } from '../../../pipelines/datasets/card-fraud';
import { type LocalS3, startS3rver } from '../../helpers/s3rver';

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3?.stop();
});

/** V8's old-space limit of the children: far below what the test CSV takes once parsed whole. */
const HEAP_LIMIT_MIB = 64;

/** Runs `args` on this Node with the heap limit; resolves to its exit code and stderr. */
function runLimited(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  return promisify(execFile)(process.execPath, [`--max-old-space-size=${HEAP_LIMIT_MIB}`, '--import', 'tsx', ...args], {
    env: { ...process.env, ...env },
    maxBuffer: 1 << 22,
  }).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
  );
}

describe('a shard streams its objects', () => {
  it(`GIVEN a CSV whose parsed cells need more than a ${HEAP_LIMIT_MIB} MiB heap WHEN a shard processes it within that heap THEN it succeeds`, async () => {
    const csv = datasetToCsv(generateTransactions({ rows: 500_000, seed: 2 }));
    await s3.put(s3.bucket, 'datasets/large/data.csv', csv);

    // Control: the same CSV read whole (bytes, text, every row's cells), as the job did before, exhausts the heap.
    const control = await new Promise<{ failed: boolean; stderr: string }>((resolve) => {
      const readWhole = "require('./pipelines/common/csv').parseCsvText(require('node:fs').readFileSync(0, 'utf8'))";
      const child = execFile(process.execPath, [`--max-old-space-size=${HEAP_LIMIT_MIB}`, '--import', 'tsx', '-e', readWhole], { maxBuffer: 1 << 22 }, (err, _stdout, stderr) =>
        resolve({ failed: err !== null, stderr }),
      );
      child.stdin!.end(csv);
    });
    expect(control.failed).toBe(true);
    expect(control.stderr).toMatch(/heap out of memory/);

    // The shard: a chunk of rows and an upload part per output at a time.
    const shard = await runLimited(['pipelines/processing/main.ts'], {
      ...s3.env,
      INPUT_URI: `s3://${s3.bucket}/datasets/large/`,
      OUTPUT_URI: `s3://${s3.bucket}/runs/large/processed/`,
      TEAM_CONFIG_FILE: 'pipelines/teams/fraud.json',
      PROCESSING_STEP: 'shard',
      PROCESSING_SHARDS: '2',
      AWS_BATCH_JOB_ARRAY_INDEX: '1',
    });
    expect(shard.stderr).toBe('');
    expect(shard.code).toBe(0);
    // Its train split (70% of the rows) is larger than one 8 MiB part: it went out as a multipart upload.
    expect(0.65 * csv.length).toBeGreaterThan(8 * 1024 * 1024);
    expect(await listKeys(s3.client, s3.bucket, 'runs/large/processed/shards/1/')).toHaveLength(5);
  }, 120_000);
});
