import { SPLIT_NAMES, type SplitName } from '../../contracts/training-pipeline-spec';

/**
 * The train split's values as the baseline needs them: each row's features then its label, row-major, in dataset
 * order. The baseline is computed from every training value (contracts/baseline.ts), so these are the one thing
 * the job keeps beyond a chunk: 8 bytes per value, against the raw rows' cells of the whole dataset before.
 */
export class TrainRows {
  private values: Float64Array;
  private length = 0;

  constructor(
    /** Features per row; each row holds them and the label. */
    readonly featureCount: number,
    expectedRows = 1024,
  ) {
    this.values = new Float64Array(Math.max(1, expectedRows) * (featureCount + 1));
  }

  get rowCount(): number {
    return this.length / (this.featureCount + 1);
  }

  /** Appends rows given as features+label values, row-major (what `encode` writes and `appendEncoded` reads). */
  append(rows: Float64Array): void {
    if (this.length + rows.length > this.values.length) {
      const grown = new Float64Array(Math.max(this.values.length * 2, this.length + rows.length));
      grown.set(this.values.subarray(0, this.length));
      this.values = grown;
    }
    this.values.set(rows, this.length);
    this.length += rows.length;
  }

  /** Feature `c`'s values, or the labels for `c === featureCount`, in row order. */
  column(c: number): Float64Array {
    const width = this.featureCount + 1;
    const out = new Float64Array(this.rowCount);
    for (let i = 0; i < out.length; i++) out[i] = this.values[i * width + c];
    return out;
  }
}

/** Rows as little-endian doubles (a shard's train.f64): the bytes mean the same on every machine. */
export function encodeRows(rows: Float64Array): Uint8Array {
  const bytes = new Uint8Array(rows.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < rows.length; i++) view.setFloat64(i * 8, rows[i], true);
  return bytes;
}

/** Reads encodeRows' bytes as they arrive (a chunk may end inside a value) into `into`. */
export async function appendEncoded(chunks: AsyncIterable<Uint8Array>, into: TrainRows): Promise<void> {
  let carry = new Uint8Array(0);
  for await (const chunk of chunks) {
    const bytes = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
    const whole = bytes.length - (bytes.length % 8);
    const view = new DataView(bytes.buffer, bytes.byteOffset, whole);
    const values = new Float64Array(whole / 8);
    for (let i = 0; i < values.length; i++) values[i] = view.getFloat64(i * 8, true);
    into.append(values);
    carry = Uint8Array.from(bytes.subarray(whole));
  }
  if (carry.length !== 0) throw new Error(`train values end inside a value (${carry.length} bytes left)`);
}

/** Rows and class counts of each split: what the checks and the lineage need, and what shards add up. */
export interface SplitTotals {
  rows: Record<SplitName, number>;
  /** Rows of each class index per split (classifiers); empty arrays for regression. */
  classCounts: Record<SplitName, number[]>;
}

export const emptyTotals = (classes: number): SplitTotals => ({
  rows: { train: 0, validation: 0, holdout: 0 },
  classCounts: { train: new Array<number>(classes).fill(0), validation: new Array<number>(classes).fill(0), holdout: new Array<number>(classes).fill(0) },
});

/** Adds `more` into `into`. */
export function addTotals(into: SplitTotals, more: SplitTotals): void {
  for (const split of SPLIT_NAMES) {
    into.rows[split] += more.rows[split];
    more.classCounts[split].forEach((n, k) => (into.classCounts[split][k] += n));
  }
}
