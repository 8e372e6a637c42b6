import { PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { s3Uri } from '../../contracts/storage-layout';

/** A run artifact exists already: runs write each of their objects once and never replace another run's. */
export class RunArtifactExistsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RunArtifactExistsError';
  }
}

/**
 * Writes a run artifact only if no object has its key (S3 conditional write, `If-None-Match: *`): a run cannot
 * replace what another run (or an earlier attempt of its own) wrote. The artifact store's bucket policy refuses the
 * processing job's unconditional writes under runs/, so this is the only way that job writes there.
 */
export async function createRunArtifact(s3: S3Client, bucket: string, key: string, body: string | Uint8Array, contentType: string): Promise<void> {
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, IfNoneMatch: '*' }));
  } catch (err) {
    throw runArtifactError(err, bucket, key);
  }
}

/** A refused conditional create as RunArtifactExistsError; any other error as it is. */
export function runArtifactError(err: unknown, bucket: string, key: string): unknown {
  // 412 Precondition Failed: the key exists. (409 ConditionalRequestConflict: a concurrent write of the same key.)
  if (err instanceof S3ServiceException && (err.$metadata.httpStatusCode === 412 || err.$metadata.httpStatusCode === 409)) {
    return new RunArtifactExistsError(`${s3Uri(bucket, key)} exists already; a run writes its artifacts once and never replaces them`, { cause: err });
  }
  return err;
}
