import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_AWS } from '../../helpers/dynalite';

/** s3rver ships no types; this is the surface used. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: {
  port: number;
  address: string;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => { run(): Promise<AddressInfo>; close(): Promise<void> };

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface LocalS3 {
  endpoint: string;
  client: S3Client;
  put(bucket: string, key: string, body: string): Promise<void>;
  stop(): Promise<void>;
}

/** An s3rver on a free port with `buckets`, in a fresh temporary directory. */
export async function startS3rver(buckets: string[]): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  // s3rver accepts only its own fixed credentials.
  const client = new S3Client({ region: LOCAL_AWS.region, credentials: S3RVER_CREDENTIALS, endpoint, forcePathStyle: true });
  return {
    endpoint,
    client,
    put: async (Bucket, Key, Body) => {
      await client.send(new PutObjectCommand({ Bucket, Key, Body }));
    },
    stop: async () => {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
