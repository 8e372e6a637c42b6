import { createHash } from 'node:crypto';
import type { SplitName } from '../../contracts/training-pipeline-spec';
import type { NumericTable } from '../common/tabular';

/**
 * Assigns each row to a split by a seeded hash of its content, so the assignment does not depend on row order
 * or file layout, duplicated rows land in the same split (no train/holdout leakage through copies), and the
 * same data and seed always give the same splits.
 */
export function assignSplits(
  table: NumericTable,
  ratios: Record<SplitName, number>,
  seed: string,
): Record<SplitName, number[]> {
  const out: Record<SplitName, number[]> = { train: [], validation: [], holdout: [] };
  const trainEdge = ratios.train;
  const validationEdge = ratios.train + ratios.validation;
  const width = table.columnCount;
  for (let i = 0; i < table.rowCount; i++) {
    const content = [...table.features.subarray(i * width, (i + 1) * width), table.labels[i]].join(',');
    const u = createHash('sha256').update(`${seed}\n${content}`).digest().readUInt32BE(0) / 4294967296;
    out[u < trainEdge ? 'train' : u < validationEdge ? 'validation' : 'holdout'].push(i);
  }
  return out;
}
