import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObjectBytes, listKeys } from '../../../pipelines/common/s3';
import { RunArtifactUpload } from '../../../pipelines/processing/run-artifact-upload';
import { LOCAL_AWS } from '../../helpers/dynalite';
import { type LocalS3, S3RVER_CREDENTIALS, startS3rver } from '../../helpers/s3rver';

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3?.stop();
});

/** 1 KiB parts (S3 takes 5 MiB at least but the last; s3rver takes any), so a few KiB make several parts. */
const PART_BYTES = 1024;
const text = Array.from({ length: 300 }, (_, i) => `row ${i}\n`).join('');

describe('RunArtifactUpload', () => {
  it('GIVEN more bytes than a part WHEN completed THEN the object is every write in order, sent as parts', async () => {
    const upload = new RunArtifactUpload(s3.client, s3.bucket, 'runs/u/big.csv', 'text/csv', PART_BYTES);
    for (let i = 0; i < text.length; i += 100) await upload.write(text.slice(i, i + 100));
    await upload.complete();
    expect((await getObjectBytes(s3.client, s3.bucket, 'runs/u/big.csv')).toString('utf8')).toBe(text);
  });

  it('GIVEN a multipart upload under way WHEN aborted THEN it asks S3 to drop the parts, and no object appears', async () => {
    const requests: { method: string; path: string; query: Record<string, unknown> }[] = [];
    const client = new S3Client({ region: LOCAL_AWS.region, credentials: S3RVER_CREDENTIALS, endpoint: s3.endpoint, forcePathStyle: true });
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { method: string; path: string; query: Record<string, unknown> };
        requests.push({ method: request.method, path: request.path, query: request.query });
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordRequests' },
    );
    const upload = new RunArtifactUpload(client, s3.bucket, 'runs/u/dropped.csv', 'text/csv', PART_BYTES);
    await upload.write(text);
    // s3rver has no AbortMultipartUpload (405 MethodNotAllowed); S3 drops the parts, and the artifact bucket's
    // lifecycle rule aborts any upload left incomplete.
    await upload.abort().catch((err: unknown) => expect((err as Error).name).toBe('MethodNotAllowed'));
    const abort = requests.find((r) => r.method === 'DELETE');
    expect(abort?.path).toBe(`/${s3.bucket}/runs/u/dropped.csv`);
    expect(abort?.query.uploadId).toEqual(expect.any(String));
    expect(await listKeys(s3.client, s3.bucket, 'runs/u/dropped')).toEqual([]);
    client.destroy();
  });

  it('GIVEN less than a part WHEN completed THEN one object; nothing exists before', async () => {
    const upload = new RunArtifactUpload(s3.client, s3.bucket, 'runs/u/small.csv', 'text/csv', PART_BYTES);
    await upload.write('a,b\n');
    expect(await listKeys(s3.client, s3.bucket, 'runs/u/small')).toEqual([]);
    await upload.complete();
    expect((await getObjectBytes(s3.client, s3.bucket, 'runs/u/small.csv')).toString('utf8')).toBe('a,b\n');
  });
});
