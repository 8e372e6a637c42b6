import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { MapObjectStore } from '../states/distributed-map';

/** A Distributed Map's S3 access (ItemReader, ResultWriter) against the twin's S3, through the SDK as in AWS. */
export class S3MapObjectStore implements MapObjectStore {
  constructor(private readonly s3: S3Client) {}

  /** Every object under the prefix, in key order, as ListObjectsV2 pages them (the item shape Step Functions gives). */
  async list(bucket: string, prefix: string) {
    const items = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken }));
      for (const object of page.Contents ?? []) {
        items.push({
          Etag: object.ETag ?? '',
          Key: object.Key ?? '',
          LastModified: (object.LastModified ?? new Date(0)).toISOString(),
          Size: object.Size ?? 0,
          StorageClass: object.StorageClass ?? 'STANDARD',
        });
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return items;
  }

  async get(bucket: string, key: string): Promise<Buffer> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await object.Body!.transformToByteArray());
  }

  async put(bucket: string, key: string, body: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }));
  }
}
