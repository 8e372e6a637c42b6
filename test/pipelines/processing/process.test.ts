import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTeamConfig } from '../../../contracts/team-config';
import { baselineSchema } from '../../../contracts/baseline';
import { readSortedValues } from '../../../lambdas/drift/baseline-objects';
import { getObjectBytes, listKeys } from '../../../pipelines/common/s3';
import { datasetToCsv, generateTransactions } from '../../../pipelines/datasets/card-fraud';
import { datasetLineageSchema } from '../../../pipelines/processing/dataset-lineage';
import { processDataset, tableSpecOf } from '../../../pipelines/processing/process';
import { assignSplits } from '../../../pipelines/processing/split';
import { formatCsv, parseCsvText } from '../../../pipelines/common/csv';
import { Random } from '../../../pipelines/common/random';
import { toNumericTable } from '../../../pipelines/common/tabular';
import { TRAINING_PIPELINE_SPEC } from '../../../contracts/training-pipeline-spec';
import { type LocalS3, startS3rver } from '../../helpers/s3rver';

const config = parseTeamConfig(JSON.parse(readFileSync('pipelines/teams/fraud.json', 'utf8')));
const dataset = generateTransactions({ rows: 2000, seed: 11 });
const csv = datasetToCsv(dataset);

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3.stop();
});

const put = (key: string, body: string | Uint8Array) =>
  s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body }));
const read = async (key: string) => (await getObjectBytes(s3.client, s3.bucket, key)).toString('utf8');
const run = (input: string, output: string) =>
  processDataset(s3.client, { inputUri: `s3://${s3.bucket}/${input}`, outputUri: `s3://${s3.bucket}/${output}`, config, splitSeed: '0' });

describe('processing job', () => {
  it('GIVEN a CSV prefix WHEN processed THEN writes three splits, a baseline and the lineage', async () => {
    await put('datasets/csv/part-0.csv', csv);
    await put('datasets/csv/_SUCCESS', '');
    const lineage = await run('datasets/csv/', 'runs/r1/processed/');

    const numeric = config.model.features.filter((f) => f.type === 'numeric').map((f) => f.name);
    expect(await listKeys(s3.client, s3.bucket, 'runs/r1/processed/')).toEqual([
      'runs/r1/processed/baseline.json',
      ...numeric.map((name) => `runs/r1/processed/baseline/${name}.f64`).sort(),
      'runs/r1/processed/dataset.json',
      'runs/r1/processed/holdout/data.csv',
      'runs/r1/processed/train/data.csv',
      'runs/r1/processed/validation/data.csv',
    ]);
    const { splits } = lineage;
    expect(splits.train.rows + splits.validation.rows + splits.holdout.rows).toBe(2000);
    expect(splits.train.rows / 2000).toBeGreaterThan(0.65);
    expect(splits.holdout.rows / 2000).toBeGreaterThan(0.12);
    expect(lineage.sha256).toBe(createHash('sha256').update(csv).digest('hex'));
    expect(datasetLineageSchema.parse(JSON.parse(await read('runs/r1/processed/dataset.json')))).toEqual(lineage);
    const train = await read('runs/r1/processed/train/data.csv');
    expect(train.split('\n')[0]).toBe(dataset.columns.join(','));
    const baseline = baselineSchema.parse(JSON.parse(await read('runs/r1/processed/baseline.json')));
    expect(baseline.rowCount).toBe(splits.train.rows);
    expect(baseline.features.map((f) => f.name)).toEqual(config.model.features.map((f) => f.name));
    const trainRows = train.trimEnd().split('\n').slice(1).map((line) => line.split(','));
    const trainLabels = trainRows.map((cells) => cells.at(-1));
    // Each numeric feature's training values, sorted once, read back by the drift job's reader (SHA-256 checked).
    const sortedValues = await readSortedValues(s3.client, `s3://${s3.bucket}/runs/r1/processed/baseline.json`, baseline, numeric);
    for (const name of numeric) {
      const column = dataset.columns.indexOf(name);
      expect(Array.from(sortedValues.get(name)!)).toEqual(trainRows.map((cells) => Number(cells[column])).sort((x, y) => x - y));
    }
    expect(baseline.target).toEqual({
      name: 'is_fraud',
      counts: { '0': trainLabels.filter((l) => l === '0').length, '1': trainLabels.filter((l) => l === '1').length },
    });
  });

  it('splits deterministically: the same data and seed give the same files', async () => {
    await run('datasets/csv/', 'runs/r2/processed/');
    expect(await read('runs/r2/processed/holdout/data.csv')).toBe(await read('runs/r1/processed/holdout/data.csv'));
  });

  it('reads Parquet and gives the same splits as the same rows in CSV', async () => {
    const columnData = dataset.columns.map((name, c) => ({
      name,
      data: dataset.rows.map((row) => row[c]),
      type: 'DOUBLE' as const,
    }));
    await put('datasets/parquet/part-0.parquet', new Uint8Array(parquetWriteBuffer({ columnData })));
    const lineage = await run('datasets/parquet/', 'runs/p1/processed/');
    expect(lineage.sources[0].uri).toMatch(/part-0\.parquet$/);
    expect(await read('runs/p1/processed/train/data.csv')).toBe(await read('runs/r1/processed/train/data.csv'));
  });

  it('reads every file under a prefix in key order and hashes them in that order', async () => {
    const lines = csv.trimEnd().split('\n');
    const first = `${lines.slice(0, 1001).join('\n')}\n`;
    const second = `${[lines[0], ...lines.slice(1001)].join('\n')}\n`;
    await put('datasets/multi/b.csv', second);
    await put('datasets/multi/a.csv', first);
    const lineage = await run('datasets/multi/', 'runs/m1/processed/');
    expect(lineage.sources.map((s) => s.uri.split('/').pop())).toEqual(['a.csv', 'b.csv']);
    expect(lineage.rowCount).toBe(2000);
    expect(await read('runs/m1/processed/holdout/data.csv')).toBe(await read('runs/r1/processed/holdout/data.csv'));
  });

  describe('bad data fails with a message naming the problem and writes nothing', () => {
    const header = dataset.columns.join(',');
    const good = csv.trimEnd().split('\n').slice(1, 400);
    const cases: [string, string, RegExp][] = [
      ['missing column', `${header.replace(',merchant_risk', '')}\n${good.map((l) => l.split(',').filter((_, i) => i !== 5).join(',')).join('\n')}\n`, /column "merchant_risk" is missing from s3:\/\/artifacts\/bad\/missing-column\.csv/],
      ['non-numeric value', `${header}\n${good[0]}\n${good[1].replace(/^[^,]+/, 'abc')}\n${good.slice(2).join('\n')}\n`, /column "amount", row 2 of s3:\/\/artifacts\/bad\/non-numeric-value\.csv: expected a finite number, got "abc"/],
      ['empty value', `${header}\n${good[0]}\n${good[1]}\n${good[2].replace(/^[^,]+/, '')}\n`, /column "amount", row 3 of .*: expected a finite number, got an empty value/],
      ['empty file', '', /no data rows in s3:\/\/artifacts\/bad\/empty-file\.csv/],
      ['header only', `${header}\n`, /no data rows/],
      ['one label class', `${header}\n${good.map((l) => l.replace(/,1$/, ',0')).join('\n')}\n`, /label "is_fraud" has only one class \(0\)/],
      ['label not 0/1', `${header}\n${good[0].replace(/,0$/, ',2')}\n`, /column "is_fraud", row 1 .*: a binary label must be 0 or 1, got "2"/],
      ['fractional category', `${header}\n${good[0].replace(/,(\d),(\d)$/, ',$1.5,$2')}\n`, /column "merchant_category", row 1 .*: a categorical feature takes integer codes, got \d\.5/],
    ];
    it.each(cases)('%s', async (name, body, message) => {
      const key = `bad/${name.replace(/[^a-z0-9]+/g, '-')}.csv`;
      await put(key, body);
      const output = `runs/bad-${name.replace(/[^a-z0-9]+/g, '-')}/processed/`;
      await expect(run(key, output)).rejects.toThrow(message);
      expect(await listKeys(s3.client, s3.bucket, output)).toEqual([]);
    });

    it('an input prefix with no data files', async () => {
      await expect(run('nothing-here/', 'runs/none/processed/')).rejects.toThrow(/no \.csv or \.parquet objects at s3:\/\/artifacts\/nothing-here\//);
    });
  });

  it('as a process: exits 1 with one line naming the bad column and row', async () => {
    await put('bad/cli.csv', `${dataset.columns.join(',')}\n${csv.split('\n')[1].replace(/^[^,]+/, 'NaN')}\n`);
    const result = await promisify(execFile)('npx', ['tsx', 'pipelines/processing/main.ts'], {
      env: {
        ...process.env,
        ...s3.env,
        INPUT_URI: `s3://${s3.bucket}/bad/cli.csv`,
        OUTPUT_URI: `s3://${s3.bucket}/runs/cli/processed/`,
        TEAM_CONFIG_FILE: 'pipelines/teams/fraud.json',
      },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').pop()).toMatch(/^DataValidationError: column "amount", row 1 of s3:\/\/artifacts\/bad\/cli\.csv: expected a finite number, got "NaN"$/);
  });
});

describe('processing job for a multiclass model', () => {
  const maintenance = parseTeamConfig(JSON.parse(readFileSync('pipelines/teams/maintenance.json', 'utf8')));
  const { classes = [], features, label } = maintenance.model;
  const header = [...features.map((f) => f.name), label];
  const random = new Random(3);
  const reading = () => features.map(() => Math.round(random.uniform() * 1000) / 10);
  const rows = Array.from({ length: 600 }, (_, i) => [...reading(), classes[i % classes.length]]);
  const runMulticlass = (input: string, output: string) =>
    processDataset(s3.client, { inputUri: `s3://${s3.bucket}/${input}`, outputUri: `s3://${s3.bucket}/${output}`, config: maintenance, splitSeed: '0' });

  it('GIVEN class labels as written WHEN processed THEN the splits hold class indices and the baseline the training class counts', async () => {
    await put('datasets/faults/readings.csv', formatCsv(header, rows));
    const lineage = await runMulticlass('datasets/faults/readings.csv', 'runs/mc/processed/');

    const train = parseCsvText(await read('runs/mc/processed/train/data.csv'));
    expect(train.header).toEqual(header);
    const trainLabels = train.rows.map((row) => row[row.length - 1]);
    expect(new Set(trainLabels)).toEqual(new Set(['0', '1', '2', '3']));
    expect(trainLabels).toHaveLength(lineage.splits.train.rows);
    const baseline = baselineSchema.parse(JSON.parse(await read('runs/mc/processed/baseline.json')));
    expect(baseline.target).toEqual({
      name: 'fault',
      counts: Object.fromEntries(classes.map((c, k) => [String(c), trainLabels.filter((l) => l === String(k)).length])),
    });
    // Each processed row is a raw row with its label replaced by the class index.
    const raw = new Map(rows.map((row) => [row.slice(0, -1).join(','), classes.indexOf(row[row.length - 1] as string)]));
    for (const row of train.rows) expect(String(raw.get(row.slice(0, -1).join(',')))).toBe(row[row.length - 1]);
  });

  it('refuses a label outside the classes, naming the value and the classes', async () => {
    await put('bad/faults-unknown.csv', formatCsv(header, [...rows.slice(0, 5), [...reading(), 'cavitation']]));
    await expect(runMulticlass('bad/faults-unknown.csv', 'runs/mc-bad/processed/')).rejects.toThrow(
      'column "fault", row 6 of s3://artifacts/bad/faults-unknown.csv: "cavitation" is not one of the classes "normal", "bearing_wear", "imbalance", "misalignment"',
    );
  });

  it('refuses a class that no row of the train split has, naming it and the split size', async () => {
    // One misalignment reading, chosen so that its content hashes into the holdout split.
    const candidates = Array.from({ length: 50 }, () => reading());
    const table = toNumericTable([{ source: 'c', header, rows: candidates.map((x) => [...x, 'misalignment']) }], tableSpecOf(maintenance));
    const holdoutRow = assignSplits(table, TRAINING_PIPELINE_SPEC.processing.splitRatios, '0').holdout[0];
    const data = [...rows.filter((row) => row[row.length - 1] !== 'misalignment'), [...candidates[holdoutRow], 'misalignment']];
    await put('bad/faults-rare.csv', formatCsv(header, data));
    await expect(runMulticlass('bad/faults-rare.csv', 'runs/mc-rare/processed/')).rejects.toThrow(
      /^label "fault" has no rows of class "misalignment" in the train split \(\d+ of 451 rows\); every class must appear in the training data \(more rows of that class are needed\)$/,
    );
    expect(await listKeys(s3.client, s3.bucket, 'runs/mc-rare/processed/')).toEqual([]);
  });
});
