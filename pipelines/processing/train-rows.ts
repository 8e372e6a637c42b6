import { SPLIT_NAMES, type SplitName } from '../../contracts/training-pipeline-spec';

/**
 * The train rows the baseline is computed from: every one up to `capacity` rows, beyond that a uniform sample of
 * `capacity` rows: those with the smallest sample keys (a hash of each row's content, split.ts), ties to the earlier
 * row. The rows kept depend on the data and the seed only, never on how the dataset is cut into objects, chunks or
 * shards: a sample of shards' samples, appended in dataset order, is the sample of the whole. Rows come out in
 * dataset order. Memory is `capacity` rows (8 bytes a value, 16 more a row), whatever the dataset's size.
 */
export class TrainSample {
  /** Features then label of each kept row, row-major, in slots; a slot is overwritten when its row is evicted. */
  private values: Float64Array;
  private keys: Float64Array;
  /** Each slot's row's position among all rows appended: dataset order. */
  private positions: Float64Array;
  /** Once full: a max-heap of slots by (key, position), its top the row the next smaller key evicts. */
  private heap?: Int32Array;
  private slots = 0;
  private appended = 0;
  private readonly width: number;

  constructor(
    /** Features per row; each row holds them and the label. */
    readonly featureCount: number,
    /** Rows kept at most. */
    readonly capacity: number,
    expectedRows = 1024,
  ) {
    this.width = featureCount + 1;
    const initial = Math.max(1, Math.min(capacity, expectedRows));
    this.values = new Float64Array(initial * this.width);
    this.keys = new Float64Array(initial);
    this.positions = new Float64Array(initial);
  }

  /** Rows kept. */
  get rowCount(): number {
    return this.slots;
  }

  /** Rows appended, kept or not. */
  get rowsSeen(): number {
    return this.appended;
  }

  /** Appends rows (features+label values, row-major) with their sample keys; they follow every row appended before. */
  append(rows: Float64Array, keys: Float64Array): void {
    for (let r = 0; r < keys.length; r++) this.appendRow(rows, r, keys[r]);
  }

  private appendRow(rows: Float64Array, r: number, key: number): void {
    const position = this.appended++;
    if (this.slots < this.capacity) {
      if (this.slots === this.keys.length) this.grow();
      this.store(this.slots++, rows, r, key, position);
      return;
    }
    const heap = (this.heap ??= this.heapify());
    // A later row evicts the top only with a smaller key: on equal keys the earlier row stays.
    if (key >= this.keys[heap[0]]) return;
    this.store(heap[0], rows, r, key, position);
    this.siftDown(heap, 0);
  }

  private store(slot: number, rows: Float64Array, r: number, key: number, position: number): void {
    this.values.set(rows.subarray(r * this.width, (r + 1) * this.width), slot * this.width);
    this.keys[slot] = key;
    this.positions[slot] = position;
  }

  private grow(): void {
    const size = Math.min(this.capacity, this.keys.length * 2);
    const values = new Float64Array(size * this.width);
    values.set(this.values);
    const keys = new Float64Array(size);
    keys.set(this.keys);
    const positions = new Float64Array(size);
    positions.set(this.positions);
    [this.values, this.keys, this.positions] = [values, keys, positions];
  }

  /** Slot a comes after slot b in (key, position) order. */
  private after(a: number, b: number): boolean {
    return this.keys[a] > this.keys[b] || (this.keys[a] === this.keys[b] && this.positions[a] > this.positions[b]);
  }

  private heapify(): Int32Array {
    const heap = Int32Array.from({ length: this.slots }, (_, i) => i);
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) this.siftDown(heap, i);
    return heap;
  }

  private siftDown(heap: Int32Array, from: number): void {
    let i = from;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) return;
      const child = left + 1 < heap.length && this.after(heap[left + 1], heap[left]) ? left + 1 : left;
      if (!this.after(heap[child], heap[i])) return;
      [heap[i], heap[child]] = [heap[child], heap[i]];
      i = child;
    }
  }

  /** The kept slots in dataset order. */
  private slotsInOrder(): Int32Array {
    const order = Int32Array.from({ length: this.slots }, (_, i) => i);
    // Until the first eviction the slots are in dataset order already.
    return this.heap ? order.sort((a, b) => this.positions[a] - this.positions[b]) : order;
  }

  /** Feature `c`'s values, or the labels for `c === featureCount`, of the kept rows in dataset order. */
  column(c: number): Float64Array {
    const order = this.slotsInOrder();
    const out = new Float64Array(order.length);
    for (let i = 0; i < order.length; i++) out[i] = this.values[order[i] * this.width + c];
    return out;
  }

  /**
   * The kept rows in dataset order as little-endian doubles, each row's values then its key (what appendEncoded
   * reads), `rowsPerPart` rows at a time: the encoded sample is never held whole beside the sample.
   */
  *encode(rowsPerPart = 65_536): Generator<Uint8Array> {
    const order = this.slotsInOrder();
    for (let start = 0; start < order.length; start += rowsPerPart) {
      const part = order.subarray(start, start + rowsPerPart);
      const bytes = new Uint8Array(part.length * (this.width + 1) * 8);
      const view = new DataView(bytes.buffer);
      let offset = 0;
      for (const slot of part) {
        for (let c = 0; c < this.width; c++, offset += 8) view.setFloat64(offset, this.values[slot * this.width + c], true);
        view.setFloat64(offset, this.keys[slot], true);
        offset += 8;
      }
      yield bytes;
    }
  }
}

/** Reads TrainSample.encode's parts as they arrive (a chunk may end inside a value) into `into`, after its rows. */
export async function appendEncoded(chunks: AsyncIterable<Uint8Array>, into: TrainSample): Promise<void> {
  const rowBytes = (into.featureCount + 2) * 8;
  let carry = new Uint8Array(0);
  for await (const chunk of chunks) {
    const bytes = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
    const whole = bytes.length - (bytes.length % rowBytes);
    const view = new DataView(bytes.buffer, bytes.byteOffset, whole);
    const rowCount = whole / rowBytes;
    const rows = new Float64Array(rowCount * (into.featureCount + 1));
    const keys = new Float64Array(rowCount);
    for (let r = 0, offset = 0; r < rowCount; r++) {
      for (let c = 0; c <= into.featureCount; c++, offset += 8) rows[r * (into.featureCount + 1) + c] = view.getFloat64(offset, true);
      keys[r] = view.getFloat64(offset, true);
      offset += 8;
    }
    into.append(rows, keys);
    carry = Uint8Array.from(bytes.subarray(whole));
  }
  if (carry.length !== 0) throw new Error(`train sample ends inside a row (${carry.length} bytes left)`);
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
