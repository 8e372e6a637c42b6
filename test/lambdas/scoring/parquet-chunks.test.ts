import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsvText } from '../../../pipelines/common/csv';
import { toNumber } from '../../../pipelines/common/tabular';
import { openParquet, parquetChunkRows, planParquetChunks } from '../../../lambdas/scoring/parquet-chunks';
import { ScoringInputError } from '../../../lambdas/scoring/score-rows';
import { transactions, transactionsParquet } from '../../helpers/scoring-twin';
import { type LocalS3, startS3rver } from '../../helpers/s3rver';
import { loadFixture } from '../inference/fixtures';

const features = loadFixture('fraud-gbt').metadata.features.map((f) => f.name);
const { csv } = transactions(1_050, features);

let s3: LocalS3;
const uri = (key: string) => `s3://${s3.bucket}/${key}`;
beforeAll(async () => {
  s3 = await startS3rver();
  await s3.put(s3.bucket, 'in/groups-of-200.parquet', transactionsParquet(csv, 200));
});
afterAll(async () => s3?.stop());

describe('Parquet chunks', () => {
  it('plans chunks of whole row groups, each closed once it holds rowsPerChunk rows', async () => {
    const { metadata } = await openParquet(s3.client, uri('in/groups-of-200.parquet'));
    expect(metadata.row_groups.map((g) => Number(g.num_rows))).toEqual([200, 200, 200, 200, 200, 50]);
    expect(planParquetChunks(metadata, 300)).toEqual({
      rows: 1_050,
      chunks: [
        { firstRow: 0, rows: 400 },
        { firstRow: 400, rows: 400 },
        { firstRow: 800, rows: 250 },
      ],
    });
    expect(planParquetChunks(metadata, 200).chunks.map((c) => c.rows)).toEqual([200, 200, 200, 200, 200, 50]);
    expect(planParquetChunks(metadata, 5_000).chunks).toEqual([{ firstRow: 0, rows: 1_050 }]);
  });

  it("reads a chunk's rows, the wanted columns only, with their index in the file and the numbers the CSV's cells read as", async () => {
    const parquet = await openParquet(s3.client, uri('in/groups-of-200.parquet'));
    const { header, rows } = parquetChunkRows(parquet, { firstRow: 400, rows: 400 }, ['txn_id', ...features, 'not_in_file']);
    // File order (the CSV's: features reversed), without the columns not wanted or not there.
    expect(header).toEqual(['txn_id', ...[...features].reverse()]);
    const read = [];
    for await (const row of rows) read.push(row);
    expect(read.map((r) => r.index)).toEqual(Array.from({ length: 400 }, (_, i) => 400 + i));
    const fromCsv = parseCsvText(csv);
    for (const row of read) {
      const csvRow = fromCsv.rows[row.index];
      expect(row.cells[0]).toBe(csvRow[0]);
      for (let c = 1; c < header.length; c++) expect(toNumber(row.cells[c])).toBe(Number(csvRow[fromCsv.header.indexOf(header[c])]));
    }
  });

  it('names a file that is not Parquet', async () => {
    await s3.put(s3.bucket, 'in/not.parquet', csv);
    const opened = openParquet(s3.client, uri('in/not.parquet'));
    await expect(opened).rejects.toBeInstanceOf(ScoringInputError);
    await expect(opened).rejects.toThrow(`${uri('in/not.parquet')} is not a readable Parquet file: `);
  });
});
