import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { listKeys } from '../../../pipelines/common/s3';
import { filesUnder } from '../../files-under';

export class S3LocationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'S3LocationError';
  }
}

export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

/** SageMaker takes S3 locations as `s3://bucket/key` or as path- or virtual-hosted-style HTTPS URLs. */
export function parseS3Uri(uri: string): S3Location {
  const match =
    /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri) ??
    /^https:\/\/s3[.-][a-z0-9.-]*amazonaws\.com(?:\.cn)?\/([^/]+)\/?(.*)$/.exec(uri) ??
    /^https:\/\/([^/]+)\.s3[.-][a-z0-9.-]*amazonaws\.com(?:\.cn)?\/?(.*)$/.exec(uri);
  if (!match) throw new S3LocationError(`"${uri}" is not an S3 location`);
  return { bucket: match[1], key: match[2] };
}

/** The keys of every object under an S3 prefix (or the one object it names), sorted. */
export function listObjectKeys(s3: S3Client, uri: string): Promise<string[]> {
  const { bucket, key: prefix } = parseS3Uri(uri);
  return listKeys(s3, bucket, prefix);
}

/** Copies the given objects of the prefix `uri` into a directory, keeping each key's path below the prefix. */
export async function downloadObjects(s3: S3Client, uri: string, keys: readonly string[], directory: string): Promise<void> {
  const { bucket, key: prefix } = parseS3Uri(uri);
  mkdirSync(directory, { recursive: true });
  for (const key of keys) {
    const target = join(directory, key.slice(prefix.length).replace(/^\//, '') || key.split('/').pop()!);
    mkdirSync(dirname(target), { recursive: true });
    const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    writeFileSync(target, Buffer.from(await body.Body!.transformToByteArray()));
  }
}

/** Uploads every file under a directory to the prefix `uri`, keyed by its path relative to the directory. */
export async function uploadDirectory(s3: S3Client, directory: string, uri: string): Promise<number> {
  const { bucket, key } = parseS3Uri(uri);
  const prefix = key && !key.endsWith('/') ? `${key}/` : key;
  const files = filesUnder(directory);
  for (const { path, key: relativeKey } of files) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${relativeKey}`, Body: readFileSync(path) }));
  return files.length;
}
