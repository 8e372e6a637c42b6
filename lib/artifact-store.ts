import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { DRIFT_RUNS_PREFIX } from '../contracts/drift-summary';
import { capturePrefix } from '../contracts/storage-layout';
import { captureErrorPrefix } from './monitoring/capture-stream';
import { accessLogBucketProps, secureBucketProps } from './private/secure-bucket';
import { acknowledge, acknowledgeWildcardResource } from './private/nag';
import { throwOnPropProblems } from './private/prop-problems';

/** The S3 store of datasets, run outputs (processed splits, models) and captured inference traffic. */
export interface IArtifactStore extends IConstruct {
  /** The versioned bucket; grant through the store's methods, which add the key and scope to a prefix. */
  readonly bucket: s3.IBucket;
  /** The customer-managed key every object is encrypted with. */
  readonly encryptionKey: kms.IKey;
  /**
   * Read objects (and list keys) under `prefix`, and decrypt them.
   * @param prefix key prefix; may contain `*` (e.g. `runs/*\/processed/`). @default - the whole bucket
   */
  grantRead(grantee: iam.IGrantable, prefix?: string): iam.Grant;
  /**
   * Write objects under `prefix`, encrypted with the store's key.
   * @param prefix key prefix; may contain `*`. @default - the whole bucket
   */
  grantWrite(grantee: iam.IGrantable, prefix?: string): iam.Grant;
  /** grantRead + grantWrite on the same prefix. */
  grantReadWrite(grantee: iam.IGrantable, prefix?: string): iam.Grant;
  /**
   * grantWrite, and a bucket policy that refuses `role` every write under `prefix` that is not a conditional create
   * (`If-None-Match: *`): the role can add objects there but never replace one. Its writer must send the header.
   * Throws for a store whose bucket policy this stack does not own (an imported bucket).
   */
  grantWriteOnce(role: iam.IRole, prefix: string): iam.Grant;
  /** `s3://<bucket>/<key>` (a token until deployment). */
  s3Uri(key?: string): string;
}

/** Attributes of an artifact store that exists outside this stack. */
export interface ArtifactStoreAttributes {
  /** The existing bucket. */
  readonly bucket: s3.IBucket;
  /** The key its objects are encrypted with; grants include its use. */
  readonly encryptionKey: kms.IKey;
}

/** Props of {@link ArtifactStore}: retention, logging and what survives the stack. */
export interface ArtifactStoreProps {
  /**
   * Bucket that receives the S3 server access logs.
   * @default - a dedicated, SSE-S3 encrypted log bucket is created (server access logs cannot be delivered to an
   * SSE-KMS bucket)
   */
  readonly accessLogsBucket?: s3.IBucket;
  /**
   * How long overwritten or deleted object versions are kept.
   * @default Duration.days(90)
   */
  readonly noncurrentVersionRetention?: Duration;
  /**
   * How long captured inference traffic (`capture/<model>/...`) is kept. Must cover the drift window.
   * @default - captured traffic is kept until deleted
   */
  readonly captureRetention?: Duration;
  /**
   * How long a captured object stays recoverable after it expired or was deleted (its noncurrent version: the bucket
   * is versioned). Captured requests are the callers' data: without this they would linger for
   * `noncurrentVersionRetention` after `captureRetention`. Whole days, at least 1. Applies with `captureRetention`.
   * @default Duration.days(1)
   */
  readonly captureNoncurrentRetention?: Duration;
  /**
   * The model whose captured traffic `captureRetention` applies to; required with `captureRetention`.
   * @default - none: only allowed without `captureRetention`
   */
  readonly modelName?: string;
  /**
   * How long a drift run's intermediate objects (`drift-runs/...`: its chunk list and its chunks' summaries) are
   * kept. The run's verdict is in its report (`drift-reports/...`) and its metrics, which this does not touch; the
   * intermediate objects only help to look into a run, and a window of ten million rows leaves megabytes of them.
   * Whole days, at least 1.
   * @default Duration.days(7)
   */
  readonly driftRunRetention?: Duration;
  /**
   * What happens to the bucket and the key when the stack is deleted. Datasets and models are the team's records.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The grant logic shared by created and imported stores: explicit actions, scoped to a key prefix. */
abstract class ArtifactStoreBase extends Construct implements IArtifactStore {
  abstract readonly bucket: s3.IBucket;
  abstract readonly encryptionKey: kms.IKey;

  grantRead(grantee: iam.IGrantable, prefix?: string): iam.Grant {
    const objects = this.objectsArn(prefix);
    const list = iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:ListBucket'],
      resourceArns: [this.bucket.bucketArn],
      conditions: prefix ? { StringLike: { 's3:prefix': [`${prefix}*`] } } : undefined,
    });
    const location = iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetBucketLocation'],
      resourceArns: [this.bucket.bucketArn],
    });
    const read = iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resourceArns: [objects],
    });
    const decrypt = this.encryptionKey.grant(grantee, 'kms:Decrypt');
    this.acknowledgeObjects(grantee, objects, 'read');
    return list.combine(location).combine(read).combine(decrypt);
  }

  grantWrite(grantee: iam.IGrantable, prefix?: string): iam.Grant {
    const objects = this.objectsArn(prefix);
    const write = iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resourceArns: [objects],
    });
    // Decrypt is needed to complete a multipart upload of an SSE-KMS object.
    const encrypt = this.encryptionKey.grant(grantee, 'kms:GenerateDataKey', 'kms:Encrypt', 'kms:Decrypt');
    this.acknowledgeObjects(grantee, objects, 'write');
    return write.combine(encrypt);
  }

  grantReadWrite(grantee: iam.IGrantable, prefix?: string): iam.Grant {
    return this.grantRead(grantee, prefix).combine(this.grantWrite(grantee, prefix));
  }

  grantWriteOnce(role: iam.IRole, prefix: string): iam.Grant {
    const grant = this.grantWrite(role, prefix);
    // AWS's documented enforcement of conditional writes: s3:ObjectCreationOperation leaves out the parts of a
    // multipart upload, which take no conditional header (its CompleteMultipartUpload does).
    const { statementAdded } = this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        principals: [new iam.ArnPrincipal(role.roleArn)],
        actions: ['s3:PutObject'],
        resources: [this.objectsArn(prefix)],
        conditions: { Null: { 's3:if-none-match': 'true' }, Bool: { 's3:ObjectCreationOperation': 'true' } },
      }),
    );
    if (!statementAdded) {
      throw new Error(`${this.node.path}: grantWriteOnce needs the bucket policy, which this stack cannot change for an imported bucket`);
    }
    return grant;
  }

  s3Uri(key = ''): string {
    return `s3://${this.bucket.bucketName}/${key}`;
  }

  private objectsArn(prefix: string | undefined): string {
    if (prefix !== undefined && !Token.isUnresolved(prefix) && prefix.startsWith('/')) {
      throw new Error(`${this.node.path}: prefix must be a key prefix without a leading "/", got: "${prefix}"`);
    }
    return this.bucket.arnForObjects(`${prefix ?? ''}*`);
  }

  private acknowledgeObjects(grantee: iam.IGrantable, objectsArn: string, access: 'read' | 'write'): void {
    acknowledgeWildcardResource(
      grantee,
      objectsArn,
      `Object-level ${access} is scoped to one key prefix of the artifact store; object keys under it (run names, ` +
        'split files, capture hours) are only known at run time.',
    );
  }
}

/** A problem unless `duration` (when given and resolved) is a whole number of days, at least 1: S3 counts days. */
function wholeDaysProblem(prop: string, duration: Duration | undefined): string[] {
  if (duration === undefined || Token.isUnresolved(duration.toSeconds())) return [];
  const days = duration.toSeconds() / 86_400;
  return Number.isInteger(days) && days >= 1 ? [] : [`${prop} must be a whole number of days, at least 1, got: ${duration.toHumanString()}`];
}

/**
 * Objects under each prefix expire after `retention`; in a versioned bucket that leaves a noncurrent version, removed
 * after `noncurrentRetention`, and a delete marker, removed once no version is left behind it. Interrupted uploads
 * are aborted after a day.
 */
function expiringPrefixRules(prefixes: ReadonlyArray<readonly [id: string, prefix: string]>, retention: Duration, noncurrentRetention: Duration): s3.LifecycleRule[] {
  return prefixes.flatMap(([id, prefix]) => [
    {
      id,
      prefix,
      expiration: retention,
      noncurrentVersionExpiration: noncurrentRetention,
      abortIncompleteMultipartUploadAfter: Duration.days(1),
    },
    // S3 takes ExpiredObjectDeleteMarker only in a rule without a current-version expiration.
    { id: `${id}-delete-markers`, prefix, expiredObjectDeleteMarker: true },
  ]);
}

/**
 * An S3 bucket for datasets, run outputs and captured inference traffic: customer-managed KMS key with rotation,
 * versioning, TLS-only, public access blocked, server access logs, retained on stack deletion. Layout of keys:
 * docs/architecture.md and contracts/storage-layout.ts.
 */
export class ArtifactStore extends ArtifactStoreBase {
  /** Uses a bucket and key that exist already; grants work the same way. */
  static fromArtifactStoreAttributes(scope: Construct, id: string, attrs: ArtifactStoreAttributes): IArtifactStore {
    class Imported extends ArtifactStoreBase {
      readonly bucket = attrs.bucket;
      readonly encryptionKey = attrs.encryptionKey;
    }
    return new Imported(scope, id);
  }

  /** The bucket: versioned, SSE-KMS with `encryptionKey`, TLS only, public access blocked, access logged. */
  readonly bucket: s3.Bucket;
  /** The customer-managed key of every object (rotated yearly). */
  readonly encryptionKey: kms.Key;
  /** The bucket receiving server access logs, when this construct created it. */
  readonly accessLogsBucket?: s3.Bucket;

  constructor(scope: Construct, id: string, props: ArtifactStoreProps = {}) {
    super(scope, id);
    throwOnPropProblems(this, [
      ...(props.captureRetention && !props.modelName ? ['captureRetention applies to capture/<model>/, so modelName is required with it'] : []),
      ...wholeDaysProblem('captureRetention', props.captureRetention),
      ...wholeDaysProblem('captureNoncurrentRetention', props.captureNoncurrentRetention),
      ...wholeDaysProblem('driftRunRetention', props.driftRunRetention),
    ]);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    // Deliver access logs through a bucket policy, not the deprecated LogDeliveryWrite ACL, whatever the app's flags.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    this.encryptionKey = new kms.Key(this, 'Key', {
      description: `Artifact store of ${this.node.path}: datasets, models, captured traffic`,
      enableKeyRotation: true,
      removalPolicy,
    });

    let logs = props.accessLogsBucket;
    if (!logs) {
      this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', { ...accessLogBucketProps(s3.ObjectOwnership.BUCKET_OWNER_ENFORCED), removalPolicy });
      acknowledge(
        this.accessLogsBucket,
        'AwsSolutions-S1',
        'This is the server access log bucket of the artifact store; logging its own access would log every log delivery.',
      );
      logs = this.accessLogsBucket;
    }

    const lifecycleRules: s3.LifecycleRule[] = [
      {
        id: 'noncurrent-versions',
        noncurrentVersionExpiration: props.noncurrentVersionRetention ?? Duration.days(90),
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      },
    ];
    if (props.captureRetention && props.modelName) {
      // Captured requests, and the records Firehose could not deliver, which hold the same data.
      const capture = [['capture', capturePrefix(props.modelName)], ['capture-errors', captureErrorPrefix(props.modelName)]] as const;
      lifecycleRules.push(...expiringPrefixRules(capture, props.captureRetention, props.captureNoncurrentRetention ?? Duration.days(1)));
    }
    lifecycleRules.push(...expiringPrefixRules([['drift-runs', DRIFT_RUNS_PREFIX]], props.driftRunRetention ?? Duration.days(7), Duration.days(1)));

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      ...secureBucketProps(logs, 'artifact-store/'),
      lifecycleRules,
      removalPolicy,
    });
  }
}
