import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { listObjects, type ListedObject } from '../../pipelines/common/s3';
import { openObject } from '../../pipelines/common/s3-stream';
import { captureRecordSchema, type CaptureRecord } from '../../contracts/capture-record';
import { capturePrefix } from '../../contracts/storage-layout';

const HOUR_MS = 3_600_000;

/** Hour prefixes capture/<model>/YYYY/MM/DD/HH/ (UTC, as Firehose writes them) covering [start, end]. */
function captureHourPrefixes(model: string, start: Date, end: Date): string[] {
  const prefixes: string[] = [];
  const pad = (n: number) => String(n).padStart(2, '0');
  for (let t = Math.floor(start.getTime() / HOUR_MS) * HOUR_MS; t <= end.getTime(); t += HOUR_MS) {
    const d = new Date(t);
    prefixes.push(
      `${capturePrefix(model)}${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCHours())}/`,
    );
  }
  return prefixes;
}

/**
 * A capture object's bytes, decompressed as they stream: objects may be gzip'd (Firehose compression) or plain, and
 * the gzip magic number of the first two bytes decides.
 */
export async function* decodeCaptureStream(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const chunks = body[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < 2) {
    const next = await chunks.next();
    if (next.done) break;
    head = Buffer.concat([head, next.value]);
  }
  const rest = async function* () {
    if (head.length > 0) yield head;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
  };
  if (!(head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b)) return yield* rest();
  const gunzip = createGunzip();
  // pipeline destroys the gunzip stream with a read error or corrupt data, which ends the loop with that error.
  pipeline(Readable.from(rest()), gunzip, () => undefined);
  yield* gunzip as AsyncIterable<Buffer>;
}

/** The text lines of a byte stream (UTF-8, split on \n; a character split across chunks is decoded whole). */
export async function* textLines(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let partial = '';
  for await (const chunk of bytes) {
    const lines = (partial + decoder.decode(chunk, { stream: true })).split('\n');
    partial = lines.pop()!;
    yield* lines;
  }
  partial += decoder.decode();
  if (partial !== '') yield partial;
}

/** A JSON line of CaptureRecord; `undefined` for a line that is not one (blank lines are the caller's to skip). */
function parseCaptureLine(line: string): CaptureRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  const result = captureRecordSchema.safeParse(parsed);
  return result.success ? result.data : undefined;
}

/** What a scan of the capture window read. */
export interface CaptureScan {
  objectCount: number;
  /** Records whose request time lies in the window (each handed to the visitor). */
  recordCount: number;
  /** Lines that were not a valid CaptureRecord (skipped, counted so the job can log them). */
  invalidLines: number;
}

/** A capture object of the window and its size in bytes (as stored: gzip'd or plain). */
export type CaptureObject = ListedObject;

/**
 * The capture objects of `model`'s hour prefixes covering [start, end], in key order (hour by hour), with their sizes:
 * a drift run groups them into chunks of bounded bytes.
 */
export async function listCaptureWindow(s3: S3Client, bucket: string, model: string, start: Date, end: Date): Promise<CaptureObject[]> {
  const objects: CaptureObject[] = [];
  for (const prefix of captureHourPrefixes(model, start, end)) objects.push(...(await listObjects(s3, bucket, prefix)));
  return objects;
}

/**
 * Reads the capture objects `keys` record by record: streams each object line by line (gunzipped as it arrives) and
 * hands `visit` each record whose request time lies in [start, end] (an hour prefix can start before it). Nothing is
 * kept here: the caller keeps what its computation needs, so an hour of heavy traffic costs the memory of its feature
 * values, not of its JSON. A visit that returns a promise (the caller summarizing what it holds) is awaited before the
 * next record is read.
 */
export async function scanCaptureObjects(
  s3: S3Client,
  bucket: string,
  keys: readonly string[],
  start: Date,
  end: Date,
  visit: (record: CaptureRecord) => void | Promise<void>,
): Promise<CaptureScan> {
  const scan: CaptureScan = { objectCount: 0, recordCount: 0, invalidLines: 0 };
  for (const key of keys) {
    for await (const line of textLines(decodeCaptureStream(await openObject(s3, bucket, key)))) {
      if (line.trim() === '') continue;
      const record = parseCaptureLine(line);
      if (!record) {
        scan.invalidLines++;
        continue;
      }
      const at = Date.parse(record.at);
      if (at >= start.getTime() && at <= end.getTime()) {
        scan.recordCount++;
        const pending = visit(record);
        if (pending) await pending;
      }
    }
    scan.objectCount++;
  }
  return scan;
}

/** Reads the captured traffic of `model` from `start` to `end` record by record (listCaptureWindow, then scanCaptureObjects). */
export async function scanCaptureWindow(
  s3: S3Client,
  bucket: string,
  model: string,
  start: Date,
  end: Date,
  visit: (record: CaptureRecord) => void,
): Promise<CaptureScan> {
  const objects = await listCaptureWindow(s3, bucket, model, start, end);
  return scanCaptureObjects(s3, bucket, objects.map((o) => o.key), start, end, visit);
}
