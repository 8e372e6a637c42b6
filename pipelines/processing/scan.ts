import type { Hash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { SPLIT_NAMES, TRAINING_PIPELINE_SPEC, type SplitName } from '../../contracts/training-pipeline-spec';
import { formatCsvRows } from '../common/csv';
import { classCountsOf, toNumericTable, type NumericTable, type TableSpec } from '../common/tabular';
import { objectChunks, type DatasetSource } from './read-dataset';
import type { RunArtifactUpload } from './run-artifact-upload';
import { assignSplits } from './split';
import { emptyTotals, type SplitTotals } from './train-rows';

/**
 * Where a scan puts each split's CSV lines and the train split's values (features then label, row-major) with each
 * train row's sample key (split.ts).
 */
export interface ScanSinks {
  splits: Record<SplitName, RunArtifactUpload>;
  train(rows: Float64Array, sampleKeys: Float64Array): void;
}

export interface ScanOptions {
  spec: TableSpec;
  splitSeed: string;
  chunkRows: number;
  /** Fed every object's bytes in key order (the whole dataset's lineage hash). */
  alsoHash?: readonly Hash[];
}

/** What a scan read: its objects' lineage records, in key order, and its splits' totals. */
export interface ScanResult extends SplitTotals {
  sources: DatasetSource[];
}

/** Rows `indices` of a chunk as features+label values, row-major. */
function rowsOf(table: NumericTable, indices: readonly number[]): Float64Array {
  const width = table.columnCount;
  const out = new Float64Array(indices.length * (width + 1));
  indices.forEach((i, r) => {
    out.set(table.features.subarray(i * width, (i + 1) * width), r * (width + 1));
    out[r * (width + 1) + width] = table.labels[i];
  });
  return out;
}

/**
 * Reads `keys` in order, a chunk at a time: validates each chunk, assigns each row its split (a seeded hash of the
 * row's content, split.ts), appends each split's rows to its CSV and hands the train rows to the baseline. Rows are
 * appended in key order and file order, so the splits read as the whole dataset's rows in order, whichever objects a
 * scan was given: the scans of consecutive groups of keys, concatenated, are the scan of all of them.
 */
export async function scanObjects(s3: S3Client, bucket: string, keys: readonly string[], options: ScanOptions, sinks: ScanSinks): Promise<ScanResult> {
  const classes = classCountsOf([], options.spec).length;
  const totals = emptyTotals(classes);
  const sources: DatasetSource[] = [];
  const ratios = TRAINING_PIPELINE_SPEC.processing.splitRatios;
  for (const key of keys) {
    const chunks = objectChunks(s3, bucket, key, { chunkRows: options.chunkRows, alsoHash: options.alsoHash, done: (source) => sources.push(source) });
    for await (const chunk of chunks) {
      const table = toNumericTable([chunk], options.spec);
      const assignment = assignSplits(table, ratios, options.splitSeed);
      for (const split of SPLIT_NAMES) {
        const indices = assignment[split];
        const rows = rowsOf(table, indices);
        const width = table.columnCount + 1;
        const lines: number[][] = [];
        for (let r = 0; r < indices.length; r++) lines.push(Array.from(rows.subarray(r * width, (r + 1) * width)));
        await sinks.splits[split].write(formatCsvRows(lines));
        totals.rows[split] += indices.length;
        classCountsOf(Float64Array.from(indices, (i) => table.labels[i]), options.spec).forEach((n, k) => (totals.classCounts[split][k] += n));
        if (split === 'train') sinks.train(rows, Float64Array.from(indices, (i) => assignment.sampleKeys[i]));
      }
    }
  }
  return { ...totals, sources };
}
