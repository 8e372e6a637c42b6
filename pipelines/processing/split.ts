import { createHash } from 'node:crypto';
import type { SplitName } from '../../contracts/training-pipeline-spec';
import type { NumericTable } from '../common/tabular';

/**
 * Each split's row indices, and each row's sample key: the first 53 bits of the same hash, which order the train rows
 * when the baseline keeps a sample of them (train-rows.ts).
 */
export type SplitAssignment = Record<SplitName, number[]> & { readonly sampleKeys: Float64Array };

/**
 * Assigns each row to a split by a seeded hash of its content, so the assignment does not depend on row order
 * or file layout, duplicated rows land in the same split (no train/holdout leakage through copies), and the
 * same data and seed always give the same splits.
 */
export function assignSplits(table: NumericTable, ratios: Record<SplitName, number>, seed: string): SplitAssignment {
  const out: SplitAssignment = { train: [], validation: [], holdout: [], sampleKeys: new Float64Array(table.rowCount) };
  const trainEdge = ratios.train;
  const validationEdge = ratios.train + ratios.validation;
  const width = table.columnCount;
  for (let i = 0; i < table.rowCount; i++) {
    const content = [...table.features.subarray(i * width, (i + 1) * width), table.labels[i]].join(',');
    const digest = createHash('sha256').update(`${seed}\n${content}`).digest();
    const high = digest.readUInt32BE(0);
    const u = high / 4294967296;
    out.sampleKeys[i] = high * 2 ** 21 + (digest.readUInt32BE(4) >>> 11);
    out[u < trainEdge ? 'train' : u < validationEdge ? 'validation' : 'holdout'].push(i);
  }
  return out;
}
