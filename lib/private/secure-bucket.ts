import { Duration } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * What every bucket of the platform has: versioning, TLS 1.2+ only, no public access, objects owned by the bucket owner
 * (no ACLs), and server access logs under `logPrefix` of `accessLogs`. Encryption is each bucket's own choice.
 */
export function secureBucketProps(accessLogs: s3.IBucket, logPrefix: string) {
  return {
    versioned: true,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    serverAccessLogsBucket: accessLogs,
    serverAccessLogsPrefix: logPrefix,
  } satisfies s3.BucketProps;
}

/**
 * What every bucket receiving access logs has: SSE-S3 (S3 server access logs and CloudFront's standard logs cannot be
 * delivered to a bucket with a KMS key), TLS only, no public access, logs kept a year. Versioned, so a log deleted or
 * overwritten before then stays recoverable for 90 days: access logs are the evidence of a security review. It logs
 * no access of its own (that would log every log delivery); `objectOwnership` is the writer's (CloudFront writes with
 * an ACL, S3 log delivery does not).
 */
export function accessLogBucketProps(objectOwnership: s3.ObjectOwnership) {
  return {
    encryption: s3.BucketEncryption.S3_MANAGED,
    versioned: true,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership,
    lifecycleRules: [
      { id: 'logs', expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(90) },
      // A log expired and past its 90 noncurrent days leaves only its delete marker: removed too.
      { id: 'delete-markers', expiredObjectDeleteMarker: true },
    ],
  } satisfies s3.BucketProps;
}
