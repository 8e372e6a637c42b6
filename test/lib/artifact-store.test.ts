import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { ArtifactStore } from '../../lib/artifact-store';

describe('ArtifactStore', () => {
  it('creates a KMS-encrypted, versioned, TLS-only, private, logged and retained bucket', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Test');
    // WHEN
    new ArtifactStore(stack, 'Artifacts');
    // THEN
    const template = Template.fromStack(stack);
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }), BucketKeyEnabled: true }),
          ],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'artifact-store/' }),
      }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('grants read on a prefix with explicit actions and key decrypt only', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Test');
    const store = new ArtifactStore(stack, 'Artifacts');
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    // WHEN
    store.grantRead(role, 'runs/*/processed/');
    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': ['runs/*/processed/*'] } } }),
          Match.objectLike({
            Action: ['s3:GetObject', 's3:GetObjectVersion'],
            Resource: { 'Fn::Join': ['', [Match.anyValue(), '/runs/*/processed/*']] },
          }),
          Match.objectLike({ Action: 'kms:Decrypt' }),
        ]),
      },
    });
  });

  it('expires captured traffic after captureRetention', () => {
    const stack = new Stack(new App(), 'Test');
    new ArtifactStore(stack, 'Artifacts', { modelName: 'card-fraud', captureRetention: Duration.days(60) });
    Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Id: 'capture', Prefix: 'capture/card-fraud/', ExpirationInDays: 60 })]),
      },
    });
  });

  it('expires the noncurrent versions and delete markers of captured traffic and its delivery errors, and aborts their uploads', () => {
    // GIVEN a versioned store keeping captured traffic 31 days
    const stack = new Stack(new App(), 'Test');
    // WHEN
    new ArtifactStore(stack, 'Artifacts', { modelName: 'card-fraud', captureRetention: Duration.days(31) });
    // THEN an expired capture object is gone a day later, not after the bucket's 90 days of noncurrent versions
    // (the store's bucket, encrypted with its key; its access-log bucket is versioned too)
    const rules = Template.fromStack(stack).findResources('AWS::S3::Bucket', {
      Properties: { VersioningConfiguration: { Status: 'Enabled' }, BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] } },
    });
    const [bucket] = Object.values(rules) as { Properties: { LifecycleConfiguration: { Rules: Record<string, unknown>[] } } }[];
    const byId = Object.fromEntries(bucket.Properties.LifecycleConfiguration.Rules.map((rule) => [rule.Id, rule]));
    for (const [id, prefix] of [['capture', 'capture/card-fraud/'], ['capture-errors', 'capture-errors/card-fraud/']]) {
      expect(byId[id]).toEqual({
        Id: id,
        Prefix: prefix,
        Status: 'Enabled',
        ExpirationInDays: 31,
        NoncurrentVersionExpiration: { NoncurrentDays: 1 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      });
      expect(byId[`${id}-delete-markers`]).toEqual({ Id: `${id}-delete-markers`, Prefix: prefix, Status: 'Enabled', ExpiredObjectDeleteMarker: true });
    }
  });

  it("expires drift runs' intermediate objects after a week, or driftRunRetention, and leaves the reports", () => {
    const byId = (props: ConstructorParameters<typeof ArtifactStore>[2]) => {
      const stack = new Stack(new App(), 'Test');
      new ArtifactStore(stack, 'Artifacts', props);
      const buckets = Template.fromStack(stack).findResources('AWS::S3::Bucket', { Properties: { BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] } } });
      const [bucket] = Object.values(buckets) as { Properties: { LifecycleConfiguration: { Rules: Record<string, unknown>[] } } }[];
      return Object.fromEntries(bucket.Properties.LifecycleConfiguration.Rules.map((rule) => [rule.Id, rule])) as Record<string, Record<string, unknown>>;
    };
    // GIVEN a store with the defaults
    const defaults = byId({});
    // THEN drift-runs/ expires after 7 days (noncurrent versions a day later), drift-reports/ has no rule
    expect(defaults['drift-runs']).toEqual({
      Id: 'drift-runs',
      Prefix: 'drift-runs/',
      Status: 'Enabled',
      ExpirationInDays: 7,
      NoncurrentVersionExpiration: { NoncurrentDays: 1 },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
    });
    expect(defaults['drift-runs-delete-markers']).toEqual({ Id: 'drift-runs-delete-markers', Prefix: 'drift-runs/', Status: 'Enabled', ExpiredObjectDeleteMarker: true });
    expect(Object.values(defaults).filter((rule) => String(rule.Prefix ?? '').startsWith('drift-reports'))).toEqual([]);
    // GIVEN driftRunRetention
    expect(byId({ driftRunRetention: Duration.days(30) })['drift-runs']).toMatchObject({ ExpirationInDays: 30 });
  });

  it('keeps expired capture recoverable for captureNoncurrentRetention', () => {
    const stack = new Stack(new App(), 'Test');
    new ArtifactStore(stack, 'Artifacts', { modelName: 'card-fraud', captureRetention: Duration.days(31), captureNoncurrentRetention: Duration.days(7) });
    Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Id: 'capture', NoncurrentVersionExpiration: { NoncurrentDays: 7 } })]),
      },
    });
  });

  it('rejects retentions that are not whole days, naming each', () => {
    const stack = new Stack(new App(), 'Test');
    expect(
      () =>
        new ArtifactStore(stack, 'Artifacts', {
          modelName: 'card-fraud',
          captureRetention: Duration.hours(36),
          captureNoncurrentRetention: Duration.hours(12),
          driftRunRetention: Duration.hours(6),
        }),
    ).toThrow(
      'Test/Artifacts: invalid props:\n' +
        '  - captureRetention must be a whole number of days, at least 1, got: 1 day 12 hours\n' +
        '  - captureNoncurrentRetention must be a whole number of days, at least 1, got: 12 hours\n' +
        '  - driftRunRetention must be a whole number of days, at least 1, got: 6 hours',
    );
  });

  it('grants a role write-once access: the bucket policy refuses its writes without If-None-Match under the prefix', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Test');
    const store = new ArtifactStore(stack, 'Artifacts');
    const role = new iam.Role(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    // WHEN
    store.grantWriteOnce(role, 'runs/*/processed/');
    // THEN the role may write there, and may not write there unconditionally
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: { 'Fn::Join': ['', [Match.anyValue(), '/runs/*/processed/*']] } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Deny',
            Principal: { AWS: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Writer'), 'Arn'] } },
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [Match.anyValue(), '/runs/*/processed/*']] },
            Condition: { Null: { 's3:if-none-match': 'true' }, Bool: { 's3:ObjectCreationOperation': 'true' } },
          },
        ]),
      },
    });
  });

  it('refuses write-once access on an imported store, whose bucket policy it cannot change', () => {
    const stack = new Stack(new App(), 'Test');
    const created = new ArtifactStore(stack, 'Artifacts');
    const imported = ArtifactStore.fromArtifactStoreAttributes(stack, 'Imported', {
      bucket: s3.Bucket.fromBucketName(stack, 'Bucket', 'team-artifacts'),
      encryptionKey: created.encryptionKey,
    });
    const role = new iam.Role(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    expect(() => imported.grantWriteOnce(role, 'runs/*/processed/')).toThrow(
      'Test/Imported: grantWriteOnce needs the bucket policy, which this stack cannot change for an imported bucket',
    );
  });

  it('reports captureRetention without modelName and a noncurrent retention of part of a day in one error', () => {
    const stack = new Stack(new App(), 'Test');
    expect(() => new ArtifactStore(stack, 'A', { captureRetention: Duration.days(1), captureNoncurrentRetention: Duration.hours(12) })).toThrow(
      /^Test\/A: invalid props:\n {2}- captureRetention applies to capture\/<model>\/, so modelName is required with it\n {2}- captureNoncurrentRetention .*12 hours/,
    );
  });

  it('rejects a prefix with a leading slash', () => {
    const stack = new Stack(new App(), 'Test');
    const store = new ArtifactStore(stack, 'B');
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() });
    expect(() => store.grantRead(role, '/runs/')).toThrow(/without a leading "\/", got: "\/runs\/"/);
  });
});
