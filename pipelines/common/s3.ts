import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parseS3Uri } from '../../contracts/storage-layout';

/**
 * The S3 client of the pipeline jobs and functions. The endpoint comes from the SDK's standard environment
 * (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL in the local twin); path-style addressing is used when asked for
 * (AWS_S3_FORCE_PATH_STYLE=true) or whenever an endpoint is set, because local S3 stand-ins have no
 * virtual-host DNS.
 */
export function createS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpointSet = Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL);
  return new S3Client({ forcePathStyle: env.AWS_S3_FORCE_PATH_STYLE === 'true' || endpointSet });
}

export async function getObjectBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!response.Body) throw new Error(`s3://${bucket}/${key} has no body`);
  return Buffer.from(await response.Body.transformToByteArray());
}

export async function putObject(
  s3: S3Client,
  bucket: string,
  key: string,
  body: string | Uint8Array,
  contentType: string,
): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
}

/** An object as listed: its key and stored size in bytes. */
export interface ListedObject {
  key: string;
  size: number;
}

/** Every object under `prefix`, sorted by key (S3 already lists in UTF-8 binary order; sorting keeps it explicit). */
export async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<ListedObject[]> {
  const objects: ListedObject[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key && !object.Key.endsWith('/')) objects.push({ key: object.Key, size: object.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Every key under `prefix`, sorted. */
export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  return (await listObjects(s3, bucket, prefix)).map((o) => o.key);
}

/** Reads an `s3://bucket/key` URI. */
export async function getObjectByUri(s3: S3Client, uri: string): Promise<Buffer> {
  const { bucket, key } = parseS3Uri(uri);
  return getObjectBytes(s3, bucket, key);
}

/** Model archives read through an SDK client (the ArtifactReader of lambdas/inference/model-store.ts). */
export const s3ArtifactReader = (s3: S3Client) => ({ read: (uri: string) => getObjectByUri(s3, uri) });
