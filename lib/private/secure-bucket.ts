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
