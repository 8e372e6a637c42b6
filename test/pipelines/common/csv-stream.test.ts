import { getDefaultHighWaterMark, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseCsvText } from '../../../pipelines/common/csv';
import { csvRows } from '../../../pipelines/common/csv-stream';

/** The text's bytes in chunks cut at `cuts` (byte offsets), as a network stream may deliver them. */
const chunked = (text: string, cuts: number[]): AsyncIterable<Uint8Array> => {
  const bytes = Buffer.from(text);
  const edges = [0, ...cuts, bytes.length];
  return Readable.from(edges.slice(1).map((end, i) => bytes.subarray(edges[i], end)));
};

async function readStreamed(bytes: AsyncIterable<Uint8Array>) {
  let header: string[] = [];
  const rows: { row: number; cells: string[] }[] = [];
  for await (const row of csvRows(bytes, (names) => (header = names))) rows.push(row);
  return { header, rows };
}

describe('csvRows', () => {
  it('reads what parseCsvText reads, wherever the chunks are cut (BOM, CRLF, quotes, line breaks in a field)', async () => {
    const text = '\ufeff mean radius ,"label, text"\r\n1.5,"ball, ""bearing"""\r\n\r\n3,"line\nbreak"\r\n5,plain\r\n';
    const whole = parseCsvText(text);
    for (let cut = 1; cut < Buffer.byteLength(text); cut++) {
      const { header, rows } = await readStreamed(chunked(text, [cut]));
      expect({ header, rows: rows.map((r) => r.cells) }).toEqual(whole);
      expect(rows.map((r) => r.row)).toEqual([1, 2, 3]);
    }
  });

  it('yields the first row after reading a bounded head of the input, not all of it', async () => {
    // GIVEN a source of 1,000 chunks of 100 rows each (about 1 MB), counting the bytes it was asked for
    let pulled = 0;
    let pulledBytes = 0;
    const source = Readable.from(
      (async function* () {
        yield Buffer.from('a,b\n');
        for (let chunk = 0; chunk < 1000; chunk++) {
          const bytes = Buffer.from(Array.from({ length: 100 }, (_, i) => `${chunk},${i}\n`).join(''));
          pulled++;
          pulledBytes += bytes.length;
          yield bytes;
        }
      })(),
    );
    // WHEN the first row is taken
    const rows = csvRows(source, () => undefined);
    const first = await rows.next();
    // THEN only the streams' read-ahead (a few buffers of Node's default high-water mark, 64 KiB since Node 22) had
    // been pulled, a small part of the megabyte, and the rest still comes in order
    expect(first.value).toEqual({ row: 1, cells: ['0', '0'] });
    expect(pulledBytes).toBeLessThan(3 * getDefaultHighWaterMark(false));
    expect(pulled).toBeLessThan(250);
    let count = 1;
    for await (const _ of rows) count++;
    expect({ count, pulled }).toEqual({ count: 100_000, pulled: 1000 });
  });

  it('ends with the error of a failing source', async () => {
    const source = Readable.from(
      (async function* () {
        yield Buffer.from('a,b\n1,2\n');
        throw new Error('connection reset');
      })(),
    );
    await expect(readStreamed(source)).rejects.toThrow('connection reset');
  });
});
