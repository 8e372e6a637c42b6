import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createRunArtifact, runArtifactError } from './run-artifact';

/** Bytes held before they go out as one part (S3's parts are 5 MiB at least, but the last). */
const UPLOAD_PART_BYTES = 8 * 1024 * 1024;

/**
 * A run artifact written as it is produced, holding at most one part's bytes: a split of a dataset larger than the
 * container's memory. Nothing is visible under the key until `complete()`: an object that fits in one part is one
 * conditional PutObject then (createRunArtifact), a larger one a multipart upload whose CompleteMultipartUpload is the
 * conditional create (If-None-Match: *). `abort()` drops the parts of a run that failed, so a bad dataset leaves no
 * object behind.
 */
export class RunArtifactUpload {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private uploadId?: string;
  private readonly parts: CompletedPart[] = [];

  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    readonly key: string,
    private readonly contentType: string,
    private readonly partBytes = UPLOAD_PART_BYTES,
  ) {}

  async write(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.length === 0) return;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= this.partBytes) await this.sendPart();
  }

  async complete(): Promise<void> {
    if (this.uploadId === undefined) {
      await createRunArtifact(this.s3, this.bucket, this.key, Buffer.concat(this.pending), this.contentType);
      this.pending = [];
      return;
    }
    if (this.pendingBytes > 0) await this.sendPart();
    try {
      await this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: this.key,
          UploadId: this.uploadId,
          MultipartUpload: { Parts: this.parts },
          IfNoneMatch: '*',
        }),
      );
    } catch (err) {
      throw runArtifactError(err, this.bucket, this.key);
    }
  }

  /** Drops what was uploaded; the key stays free. */
  async abort(): Promise<void> {
    this.pending = [];
    if (this.uploadId === undefined) return;
    await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId }));
    this.uploadId = undefined;
  }

  private async sendPart(): Promise<void> {
    if (this.uploadId === undefined) {
      const created = await this.s3.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, ContentType: this.contentType }));
      this.uploadId = created.UploadId;
    }
    const body = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    const PartNumber = this.parts.length + 1;
    const { ETag } = await this.s3.send(new UploadPartCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, PartNumber, Body: body }));
    this.parts.push({ ETag, PartNumber });
  }
}
