import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appendEncoded, TrainSample } from '../../../pipelines/processing/train-rows';

/** Rows of `width - 1` features and a label, each with a sample key; small keys, so that ties are common. */
const rowsArbitrary = (width: number) =>
  fc.array(fc.record({ values: fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: width, maxLength: width }), key: fc.integer({ min: 0, max: 40 }) }), {
    maxLength: 120,
  });

type Row = { values: number[]; key: number };

/** The sample by its definition: the `capacity` rows of smallest (key, position), in dataset order. */
function expectedColumns(rows: readonly Row[], capacity: number, width: number): Float64Array[] {
  const kept = rows
    .map((row, position) => ({ row, position }))
    .sort((a, b) => a.row.key - b.row.key || a.position - b.position)
    .slice(0, capacity)
    .sort((a, b) => a.position - b.position);
  return Array.from({ length: width }, (_, c) => Float64Array.from(kept, ({ row }) => row.values[c]));
}

function sampleOf(rows: readonly Row[], capacity: number, width: number, appendedAtOnce: number): TrainSample {
  const sample = new TrainSample(width - 1, capacity, 1);
  for (let start = 0; start < rows.length; start += appendedAtOnce) {
    const part = rows.slice(start, start + appendedAtOnce);
    sample.append(Float64Array.from(part.flatMap((row) => row.values)), Float64Array.from(part, (row) => row.key));
  }
  return sample;
}

const columnsOf = (sample: TrainSample, width: number) => Array.from({ length: width }, (_, c) => sample.column(c));

/** A sample's encoded parts, cut again into chunks of `size` bytes, as a ranged read of its object may deliver them. */
async function* chunked(parts: Iterable<Uint8Array>, size: number): AsyncIterable<Uint8Array> {
  const bytes = Buffer.concat([...parts]);
  for (let start = 0; start < bytes.length; start += size) yield bytes.subarray(start, start + size);
}

describe('TrainSample', () => {
  it('keeps every row, in order, up to its capacity; beyond, the rows of smallest key (ties to the earlier), in order', () => {
    fc.assert(
      fc.property(rowsArbitrary(3), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 17 }), (rows, capacity, appendedAtOnce) => {
        const sample = sampleOf(rows, capacity, 3, appendedAtOnce);
        expect(sample.rowCount).toBe(Math.min(rows.length, capacity));
        expect(sample.rowsSeen).toBe(rows.length);
        expect(columnsOf(sample, 3)).toEqual(expectedColumns(rows, capacity, 3));
      }),
      { numRuns: 400 },
    );
  });

  it("the sample of shards' samples, appended in dataset order through their encoded bytes, is the sample of the whole", async () => {
    await fc.assert(
      fc.asyncProperty(rowsArbitrary(2), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 50 }), async (rows, capacity, shards, chunkBytes) => {
        const whole = sampleOf(rows, capacity, 2, 7);
        const merged = new TrainSample(1, capacity);
        const size = Math.ceil(rows.length / shards);
        for (let start = 0; start < Math.max(rows.length, 1); start += Math.max(size, 1)) {
          const shard = sampleOf(rows.slice(start, start + size), capacity, 2, 5);
          // A chunk of the shard's object may end inside a value.
          await appendEncoded(chunked(shard.encode(3), chunkBytes), merged);
        }
        expect(columnsOf(merged, 2)).toEqual(columnsOf(whole, 2));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses encoded bytes that end inside a row', async () => {
    const sample = sampleOf([{ values: [1, 2], key: 3 }], 5, 2, 1);
    await expect(appendEncoded(chunked([Buffer.concat([...sample.encode()]).subarray(0, 20)], 8), new TrainSample(1, 5))).rejects.toThrow('train sample ends inside a row (20 bytes left)');
  });
});
