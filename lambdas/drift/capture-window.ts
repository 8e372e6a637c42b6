import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { captureRecordSchema, type CaptureRecord } from '../shared/capture-record';
import { capturePrefix } from '../shared/storage-layout';

const HOUR_MS = 3_600_000;

/** Hour prefixes capture/<model>/YYYY/MM/DD/HH/ (UTC, as Firehose writes them) covering [start, end]. */
export function captureHourPrefixes(model: string, start: Date, end: Date): string[] {
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

/** Capture objects may be gzip'd (Firehose compression) or plain; the gzip magic number decides. */
export function decodeCaptureObject(bytes: Uint8Array): string {
  const gzipped = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  return Buffer.from(gzipped ? gunzipSync(bytes) : bytes).toString('utf8');
}

export interface CaptureWindow {
  records: CaptureRecord[];
  objectCount: number;
  /** Lines that were not a valid CaptureRecord (skipped, counted so the job can log them). */
  invalidLines: number;
}

/** Parses JSON lines of CaptureRecord, skipping blank and invalid lines. */
export function parseCaptureLines(text: string): { records: CaptureRecord[]; invalidLines: number } {
  const records: CaptureRecord[] = [];
  let invalidLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      invalidLines++;
      continue;
    }
    const result = captureRecordSchema.safeParse(parsed);
    if (result.success) records.push(result.data);
    else invalidLines++;
  }
  return { records, invalidLines };
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/**
 * Reads the captured traffic of `model` from `start` to `end`: lists the hour prefixes of the window and
 * keeps the records whose request time lies in it (an hour prefix can start before the window).
 */
export async function readCaptureWindow(s3: S3Client, bucket: string, model: string, start: Date, end: Date): Promise<CaptureWindow> {
  const window: CaptureWindow = { records: [], objectCount: 0, invalidLines: 0 };
  for (const prefix of captureHourPrefixes(model, start, end)) {
    for (const key of await listKeys(s3, bucket, prefix)) {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = await object.Body!.transformToByteArray();
      const { records, invalidLines } = parseCaptureLines(decodeCaptureObject(bytes));
      window.objectCount++;
      window.invalidLines += invalidLines;
      for (const record of records) {
        const at = Date.parse(record.at);
        if (at >= start.getTime() && at <= end.getTime()) window.records.push(record);
      }
    }
  }
  return window;
}
