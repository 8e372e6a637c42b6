import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, it } from 'vitest';
import { accessLogBucketProps } from '../../../lib/private/secure-bucket';

describe('accessLogBucketProps', () => {
  it('makes a private, TLS-only, S3-encrypted log bucket that keeps logs a year and deleted logs 90 days (checkov CKV_AWS_21)', () => {
    // GIVEN a bucket for S3 server access logs
    const stack = new Stack(new App(), 'Logs');
    new s3.Bucket(stack, 'AccessLogs', accessLogBucketProps(s3.ObjectOwnership.BUCKET_OWNER_ENFORCED));

    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LifecycleConfiguration: {
        Rules: [
          { Id: 'logs', ExpirationInDays: 365, NoncurrentVersionExpiration: { NoncurrentDays: 90 }, Status: 'Enabled' },
          { Id: 'delete-markers', ExpiredObjectDeleteMarker: true, Status: 'Enabled' },
        ],
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: [{ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }] },
    });
  });
});
