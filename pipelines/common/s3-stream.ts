import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AsyncBuffer } from 'hyparquet';
import { parseS3Uri } from '../../contracts/storage-layout';

/**
 * An object's bytes as they arrive, for readers that must not hold a whole file (a holdout set, an hour of
 * captured traffic): the GetObject body is consumed chunk by chunk, and the socket pauses while the reader works.
 */
export async function openObject(s3: S3Client, bucket: string, key: string): Promise<Readable> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  // In Node the SDK's body is an IncomingMessage (a Readable); anything else means a runtime we do not run on.
  if (!(response.Body instanceof Readable)) throw new Error(`s3://${bucket}/${key} has no readable body`);
  return response.Body;
}

/** openObject of an `s3://bucket/key` URI. */
export function openObjectByUri(s3: S3Client, uri: string): Promise<Readable> {
  const { bucket, key } = parseS3Uri(uri);
  return openObject(s3, bucket, key);
}

/** Every chunk of a stream in one buffer: for objects read whole on purpose (a model archive, verified by its hash). */
export async function readAll(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

/**
 * An S3 object as hyparquet's AsyncBuffer: each slice one ranged GET, so a Parquet reader fetches the footer and the
 * row groups (and columns) it reads, never the whole file.
 */
export async function rangedObject(s3: S3Client, bucket: string, key: string): Promise<AsyncBuffer> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return {
    byteLength: head.ContentLength ?? 0,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const range = `bytes=${start}-${end === undefined ? '' : end - 1}`;
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }));
      const bytes = await object.Body!.transformToByteArray();
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}
