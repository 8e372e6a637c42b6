import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCaptureStream, scanCaptureObjects, scanCaptureWindow, textLines } from '../../../lambdas/drift/capture-window';
import type { CaptureRecord } from '../../../contracts/capture-record';
import { startS3rver, type LocalS3 } from '../../helpers/s3rver';

const record = (i: number, at: string): CaptureRecord => ({
  model: 'card-fraud',
  modelVersion: 1,
  at,
  requestId: `req-${i}`,
  features: [i, i / 2, 0.25],
  prediction: 0.125,
});
const jsonLines = (records: CaptureRecord[]) => records.map((r) => JSON.stringify(r)).join('\n');

describe('capture objects are read as they stream', () => {
  it('yields the first line of a gzip object after a bounded head of it, and every line in order', async () => {
    // GIVEN an hour of capture (50,000 records, gzip'd as Firehose writes them) delivered in 4 KiB chunks, counted
    const text = jsonLines(Array.from({ length: 50_000 }, (_, i) => record(i, '2026-12-01T10:00:00.000Z')));
    const gz = gzipSync(text);
    let pulled = 0;
    const source = Readable.from(
      (async function* () {
        for (let at = 0; at < gz.length; at += 4096) {
          pulled++;
          yield gz.subarray(at, at + 4096);
        }
      })(),
    );
    // WHEN the first line is read
    const lines = textLines(decodeCaptureStream(source));
    const first = await lines.next();
    // THEN only the streams' read-ahead was pulled, not the object
    expect(JSON.parse(first.value as string)).toMatchObject({ requestId: 'req-0' });
    const chunks = Math.ceil(gz.length / 4096);
    expect(pulled).toBeLessThan(chunks / 4);
    let count = 1;
    let outOfOrder = 0;
    for await (const line of lines) if (!line.includes(`"req-${count++}"`)) outOfOrder++;
    expect({ count, outOfOrder, pulled }).toEqual({ count: 50_000, outOfOrder: 0, pulled: chunks });
  });

  it('decodes a character split across chunks, and a plain object of one byte', async () => {
    const text = '{"city":"Zürich"}\n{"city":"東京"}';
    const bytes = Buffer.from(text);
    const split = Readable.from([bytes.subarray(0, 12), bytes.subarray(12, 13), bytes.subarray(13, 24), bytes.subarray(24)]);
    const lines: string[] = [];
    for await (const line of textLines(decodeCaptureStream(split))) lines.push(line);
    expect(lines).toEqual(text.split('\n'));
    const one: string[] = [];
    for await (const line of textLines(decodeCaptureStream(Readable.from([Buffer.from('x')])))) one.push(line);
    expect(one).toEqual(['x']);
  });

  it('ends with an error on a corrupt gzip object', async () => {
    const gz = gzipSync('{"a":1}\n'.repeat(1000));
    const corrupt = Buffer.concat([gz.subarray(0, 40), Buffer.alloc(200, 7)]);
    const read = async () => {
      for await (const _ of textLines(decodeCaptureStream(Readable.from([corrupt])))) {
        // reading to the end
      }
    };
    await expect(read()).rejects.toThrow(/invalid|incorrect|unexpected end/i);
  });
});

describe('scanCaptureWindow', () => {
  let s3: LocalS3;
  beforeAll(async () => {
    s3 = await startS3rver();
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it('visits the window\'s records of gzip and plain objects, skips and counts invalid lines', async () => {
    // GIVEN two objects of the 10:00 hour, one gzip'd with a record before the window, one plain with bad lines
    const hour = 'capture/card-fraud/2026/12/01/10/';
    await s3.put(s3.bucket, `${hour}a.gz`, gzipSync(`${jsonLines([record(1, '2026-12-01T10:05:00.000Z'), record(2, '2026-12-01T10:20:00.000Z')])}\n`));
    await s3.put(s3.bucket, `${hour}b`, `${JSON.stringify(record(3, '2026-12-01T10:30:00.000Z'))}\nnot json\n\n{"model":"card-fraud"}\n`);
    // WHEN the window 10:10-11:00 is scanned
    const visited: string[] = [];
    const scan = await scanCaptureWindow(s3.client, s3.bucket, 'card-fraud', new Date('2026-12-01T10:10:00Z'), new Date('2026-12-01T11:00:00Z'), (r) =>
      visited.push(r.requestId),
    );
    // THEN
    expect(visited).toEqual(['req-2', 'req-3']);
    expect(scan).toEqual({ objectCount: 2, recordCount: 2, invalidLines: 2 });
  });

  it('reads no further record while a visit\'s promise is pending (a summarizer counting what it holds)', async () => {
    // GIVEN an object of five records
    const key = 'capture/card-fraud/2026/12/01/12/c.gz';
    await s3.put(s3.bucket, key, gzipSync(jsonLines([1, 2, 3, 4, 5].map((i) => record(i, '2026-12-01T12:00:00.000Z')))));
    // WHEN every second visit returns a promise that settles later
    const events: string[] = [];
    let pending = false;
    await scanCaptureObjects(s3.client, s3.bucket, [key], new Date('2026-12-01T12:00:00Z'), new Date('2026-12-01T13:00:00Z'), (r) => {
      events.push(`${pending ? 'overlapping ' : ''}${r.requestId}`);
      if (r.requestId.endsWith('2') || r.requestId.endsWith('4')) {
        pending = true;
        return new Promise<void>((resolve) => setTimeout(() => ((pending = false), events.push('settled'), resolve()), 20));
      }
      return undefined;
    });
    // THEN each promise settled before the next record was handed over
    expect(events).toEqual(['req-1', 'req-2', 'settled', 'req-3', 'req-4', 'settled', 'req-5']);
  });
});
