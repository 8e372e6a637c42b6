import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_CREDENTIALS } from '../../local/services/aws-environment';
import { LOCAL_AWS } from './dynalite';

// s3rver ships no types; this is the surface the tests use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: {
  port: number;
  address: string;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => { run(): Promise<AddressInfo>; close(): Promise<void> };

/** s3rver accepts only its own fixed key pair: the same set the local twin gives its clients. */
export const S3RVER_CREDENTIALS = LOCAL_CREDENTIALS;

export interface LocalS3 {
  endpoint: string;
  client: S3Client;
  /** The first bucket created. */
  bucket: string;
  /** Environment under which unchanged SDK code (and createS3Client()) talks to this s3rver. */
  env: Record<string, string>;
  put(bucket: string, key: string, body: string | Uint8Array): Promise<void>;
  stop(): Promise<void>;
}

/** A real S3 API (s3rver) on a free loopback port over a fresh temporary directory, with `buckets` created. */
export async function startS3rver(buckets: string[] = ['artifacts']): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const env = {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    // As in the twin's functions (local/services/aws-environment.ts): s3rver stores a streamed body's aws-chunked
    // framing (the SDK's way of sending a stream's checksum) as the object's bytes.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  };
  const checksums = { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } as const;
  const client = new S3Client({ region: LOCAL_AWS.region, credentials: S3RVER_CREDENTIALS, endpoint, forcePathStyle: true, ...checksums });
  return {
    endpoint,
    client,
    bucket: buckets[0],
    env,
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
