import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTeamConfig, type TeamConfig } from '../../../contracts/team-config';
import { formatCsv } from '../../../pipelines/common/csv';
import { getObjectBytes, listKeys } from '../../../pipelines/common/s3';
import { datasetToCsv, generateTransactions } from '../../../pipelines/datasets/card-fraud';
import { mergeShards, ShardMergeError } from '../../../pipelines/processing/merge';
import { processDataset, tableSpecOf, type ProcessingRequest } from '../../../pipelines/processing/process';
import { assignSplits } from '../../../pipelines/processing/split';
import { toNumericTable } from '../../../pipelines/common/tabular';
import { baselineSchema } from '../../../contracts/baseline';
import { TRAINING_PIPELINE_SPEC } from '../../../contracts/training-pipeline-spec';
import { readSortedValues } from '../../../lambdas/drift/baseline-objects';
import { objectChunks } from '../../../pipelines/processing/read-dataset';
import { processShard } from '../../../pipelines/processing/shard';
import { shardKeys } from '../../../pipelines/processing/shard-layout';
import { type LocalS3, startS3rver } from '../../helpers/s3rver';

const fraud = parseTeamConfig(JSON.parse(readFileSync('pipelines/teams/fraud.json', 'utf8')));
const dataset = generateTransactions({ rows: 6000, seed: 21 });

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startS3rver();
  // GIVEN a dataset of 7 objects in key order: CSV and Parquet (several row groups each), one CSV with a header only
  const parts = Array.from({ length: 6 }, (_, i) => dataset.rows.slice(i * 1000, (i + 1) * 1000));
  for (const [i, rows] of parts.entries()) {
    const key = `datasets/many/part-${i}.${i % 2 ? 'parquet' : 'csv'}`;
    const body =
      i % 2
        ? new Uint8Array(parquetWriteBuffer({ columnData: dataset.columns.map((name, c) => ({ name, data: rows.map((r) => r[c]), type: 'DOUBLE' as const })), rowGroupSize: 300 }))
        : formatCsv(dataset.columns, rows);
    await put(key, body);
  }
  await put('datasets/many/part-6.csv', formatCsv(dataset.columns, []));
});
afterAll(async () => {
  await s3?.stop();
});

const put = (key: string, body: string | Uint8Array) => s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body }));
const request = (input: string, output: string, config: TeamConfig = fraud): ProcessingRequest => ({
  inputUri: `s3://${s3.bucket}/${input}`,
  outputUri: `s3://${s3.bucket}/${output}`,
  config,
  splitSeed: '7',
  chunkRows: 250,
});

/** Every object of a run's output but the shards' intermediate ones, by path under the output, with its bytes. */
async function runOutputs(output: string): Promise<Map<string, string>> {
  const keys = (await listKeys(s3.client, s3.bucket, output)).filter((key) => !key.startsWith(`${output}shards/`));
  const out = new Map<string, string>();
  for (const key of keys) out.set(key.slice(output.length), (await getObjectBytes(s3.client, s3.bucket, key)).toString('base64'));
  return out;
}

async function runSharded(input: string, output: string, count: number, config?: TeamConfig, options: Partial<ProcessingRequest> = {}) {
  // Children of an array job run in any order, some at once.
  const order = Array.from({ length: count }, (_, i) => i).reverse();
  await Promise.all(order.map((index) => processShard(s3.client, { ...request(input, output, config), ...options }, { index, count })));
  return mergeShards(s3.client, { ...request(input, output, config), ...options }, count);
}

describe('processing in shards', () => {
  it('shardKeys: consecutive groups of the sorted keys, sizes within one, every key once', () => {
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    expect([0, 1, 2].map((i) => shardKeys(keys, i, 3))).toEqual([['a', 'b'], ['c', 'd'], ['e', 'f', 'g']]);
    expect(Array.from({ length: 9 }, (_, i) => shardKeys(keys, i, 9)).flat()).toEqual(keys);
    expect(() => shardKeys(keys, 3, 3)).toThrow('shard index must be 0..2, got 3');
  });

  it('GIVEN 7 objects WHEN processed in one job, in 2, 3 and 8 shards THEN every output object is byte-identical', async () => {
    const one = await processDataset(s3.client, request('datasets/many/', 'runs/one/processed/'));
    const expected = await runOutputs('runs/one/processed/');
    expect(one.rowCount).toBe(6000);
    expect([...expected.keys()]).toEqual(expect.arrayContaining(['baseline.json', 'dataset.json', 'train/data.csv', 'validation/data.csv', 'holdout/data.csv']));
    for (const count of [2, 3, 8]) {
      const output = `runs/shards-${count}/processed/`;
      const lineage = await runSharded('datasets/many/', output, count);
      const outputs = await runOutputs(output);
      // The lineage names the run's own output folder; everything else is the same.
      const sameRun = (text: string) => Buffer.from(text, 'base64').toString('utf8').replaceAll(`shards-${count}/`, 'one/');
      expect([...outputs.keys()]).toEqual([...expected.keys()]);
      for (const [path, bytes] of outputs) {
        if (path === 'dataset.json') expect(sameRun(bytes), path).toBe(Buffer.from(expected.get(path)!, 'base64').toString('utf8'));
        else expect(bytes, `${path} with ${count} shards`).toBe(expected.get(path));
      }
      expect(lineage.sha256).toBe(one.sha256);
    }
  });

  it('GIVEN more train rows than the baseline sample holds THEN 1 and 3 shards keep the same uniform sample: the rows of smallest key', async () => {
    // GIVEN a sample of 500 rows of the ~4200 train rows
    const options = { baselineSampleRows: 500 };
    await processDataset(s3.client, { ...request('datasets/many/', 'runs/sample-one/processed/'), ...options });
    await runSharded('datasets/many/', 'runs/sample-3/processed/', 3, undefined, options);
    const one = await runOutputs('runs/sample-one/processed/');
    const three = await runOutputs('runs/sample-3/processed/');
    // THEN the splits and the baseline are byte-identical
    for (const [path, bytes] of one) if (path !== 'dataset.json') expect(three.get(path), path).toBe(bytes);
    // AND the baseline holds the 500 train rows whose sample keys are smallest, by the split's own hash
    const baseline = baselineSchema.parse(JSON.parse(Buffer.from(one.get('baseline.json')!, 'base64').toString('utf8')));
    const amounts = (await readSortedValues(s3.client, `s3://${s3.bucket}/runs/sample-one/processed/baseline.json`, baseline, ['amount'])).get('amount')!;
    const table = toNumericTable([{ source: 'dataset', header: dataset.columns, rows: dataset.rows }], tableSpecOf(fraud));
    const assignment = assignSplits(table, TRAINING_PIPELINE_SPEC.processing.splitRatios, '7');
    const amountColumn = fraud.model.features.findIndex((feature) => feature.name === 'amount');
    const smallest = [...assignment.train].sort((a, b) => assignment.sampleKeys[a] - assignment.sampleKeys[b]).slice(0, 500);
    expect(assignment.train.length).toBeGreaterThan(4000);
    expect(amounts).toEqual(Float64Array.from(smallest, (i) => table.features[i * table.columnCount + amountColumn]).sort());
  });

  it('reads a Parquet file one row group at a time', async () => {
    const sizes: number[] = [];
    for await (const chunk of objectChunks(s3.client, s3.bucket, 'datasets/many/part-1.parquet', { chunkRows: 250, done: () => undefined })) {
      sizes.push(chunk.rows.length);
      expect(chunk.firstRow).toBe(1 + sizes.slice(0, -1).reduce((a, b) => a + b, 0));
    }
    expect(sizes).toEqual([300, 300, 300, 100]);
  });

  it('a bad row fails its shard naming file, column and row, and the shard leaves no object', async () => {
    const lines = datasetToCsv(generateTransactions({ rows: 600, seed: 5 })).trimEnd().split('\n');
    lines[512] = lines[512].replace(/^[^,]+/, 'oops');
    await put('datasets/bad-shard/a.csv', `${lines.join('\n')}\n`);
    await expect(processShard(s3.client, request('datasets/bad-shard/', 'runs/bad-shard/processed/'), { index: 1, count: 2 })).rejects.toThrow(
      'column "amount", row 512 of s3://artifacts/datasets/bad-shard/a.csv: expected a finite number, got "oops"',
    );
    expect(await listKeys(s3.client, s3.bucket, 'runs/bad-shard/processed/')).toEqual([]);
  });

  it('the merge refuses a missing shard, and objects added after the shards read the dataset', async () => {
    await put('datasets/growing/a.csv', datasetToCsv(generateTransactions({ rows: 400, seed: 6 })));
    await put('datasets/growing/b.csv', datasetToCsv(generateTransactions({ rows: 400, seed: 7 })));
    const req = request('datasets/growing/', 'runs/growing/processed/');
    await processShard(s3.client, req, { index: 0, count: 2 });
    await expect(mergeShards(s3.client, req, 2)).rejects.toThrow(/runs\/growing\/processed\/shards\/1\/summary\.json cannot be read \(did shard 1 of 2 succeed\?\)/);
    await processShard(s3.client, req, { index: 1, count: 2 });
    await put('datasets/growing/c.csv', datasetToCsv(generateTransactions({ rows: 400, seed: 8 })));
    const refused = await mergeShards(s3.client, req, 2).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ShardMergeError);
    expect((refused as Error).message).toBe('the shards read other objects than s3://artifacts/datasets/growing/ holds now (2 read, 3 listed)');
    expect(await listKeys(s3.client, s3.bucket, 'runs/growing/processed/train/')).toEqual([]);
  });

  it('the merge refuses an object rewritten after its shard read it', async () => {
    await put('datasets/rewritten/a.csv', formatCsv(dataset.columns, dataset.rows.slice(0, 2000)));
    await put('datasets/rewritten/b.csv', formatCsv(dataset.columns, dataset.rows.slice(2000, 4000)));
    const req = request('datasets/rewritten/', 'runs/rewritten/processed/');
    for (const index of [0, 1]) await processShard(s3.client, req, { index, count: 2 });
    await put('datasets/rewritten/b.csv', formatCsv(dataset.columns, dataset.rows.slice(4000, 6000)));
    await expect(mergeShards(s3.client, req, 2)).rejects.toThrow(
      /^s3:\/\/artifacts\/datasets\/rewritten\/b\.csv changed while the run processed it \(SHA-256 [0-9a-f]{64}, its shard read [0-9a-f]{64}\)$/,
    );
    expect(await listKeys(s3.client, s3.bucket, 'runs/rewritten/processed/train/')).toEqual([]);
  });

  it('as a process: a shard step without its array index, or with fewer than 2 shards, exits 1 naming the variables', async () => {
    const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'pipelines/processing/main.ts'], {
      env: {
        ...process.env,
        ...s3.env,
        INPUT_URI: `s3://${s3.bucket}/datasets/many/`,
        OUTPUT_URI: `s3://${s3.bucket}/runs/env/processed/`,
        TEAM_CONFIG_FILE: 'pipelines/teams/fraud.json',
        PROCESSING_STEP: 'shard',
        PROCESSING_SHARDS: '1',
      },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      'Error: PROCESSING_SHARDS: PROCESSING_SHARDS must be 2 or more (one job needs no shards); AWS_BATCH_JOB_ARRAY_INDEX: AWS_BATCH_JOB_ARRAY_INDEX is required for PROCESSING_STEP=shard (Batch sets it in each child of an array job)',
    );
  });
});
