import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { capturePrefix } from '../../contracts/storage-layout';
import type { IArtifactStore } from '../artifact-store';
import { encryptedLogGroup } from '../private/log-encryption';
import { rangeProblem, throwOnPropProblems } from '../private/prop-problems';

/** Props of {@link CaptureStream}. */
export interface CaptureStreamProps {
  /** The model whose traffic is captured; objects land under `capture/<model>/`. */
  readonly modelName: string;
  /** The bucket the captured objects land in, encrypted with its key (the drift job reads them there). */
  readonly artifactStore: IArtifactStore;
  /**
   * How long Firehose buffers records before writing an object.
   * @default Duration.seconds(60)
   */
  readonly bufferingInterval?: Duration;
  /**
   * How much Firehose buffers before writing an object, in MiB (1-128).
   * @default 5
   */
  readonly bufferingSizeMiB?: number;
  /**
   * How long the stream's delivery error log is kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/** Key prefix of records Firehose could not deliver; outside `capture/` so the drift job never reads them. */
export const captureErrorPrefix = (model: string) => `capture-errors/${model}/`;

/**
 * The capture stream of an inference tier: a Firehose delivery stream (direct put) that writes sampled requests as
 * GZIP JSON lines to `capture/<model>/YYYY/MM/DD/HH/` in the artifact store (Firehose's default UTC hour
 * partitioning, which the drift job reads by window), encrypted with the artifact store's key in transit and at rest.
 * Its role may write only there and to the error prefix, and log only to its own log stream.
 */
export class CaptureStream extends Construct {
  /** The Firehose delivery stream (direct put, written to the artifact store). */
  readonly deliveryStream: firehose.CfnDeliveryStream;
  /** The stream's name: the serving code's `CAPTURE_STREAM_NAME`. */
  readonly deliveryStreamName: string;
  /** The stream's ARN, the resource of `grantPutRecordBatch`. */
  readonly deliveryStreamArn: string;
  /** The role Firehose assumes to encrypt and deliver. */
  readonly role: iam.Role;
  /** Firehose's delivery error log (encrypted); its one log stream is the only one the role may write. */
  readonly logGroup: logs.LogGroup;
  /** `capture/<model>/`: where the captured objects land. */
  readonly prefix: string;

  constructor(scope: Construct, id: string, props: CaptureStreamProps) {
    super(scope, id);
    const interval = props.bufferingInterval ?? Duration.seconds(60);
    throwOnPropProblems(this, [
      ...rangeProblem('bufferingSizeMiB', props.bufferingSizeMiB, { min: 1, max: 128, integer: true }),
      ...rangeProblem('bufferingInterval (seconds)', interval.toSeconds(), { min: 0, max: 900 }),
    ]);

    const store = props.artifactStore;
    this.prefix = capturePrefix(props.modelName);
    const errorPrefix = captureErrorPrefix(props.modelName);

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com'),
      description: `Delivers captured inference traffic of ${props.modelName} to ${this.prefix}`,
    });
    // Firehose checks the bucket (location, listing) and writes objects; nothing outside the two prefixes.
    store.grantReadWrite(this.role, this.prefix);
    store.grantWrite(this.role, errorPrefix);

    this.logGroup = encryptedLogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const logStream = this.logGroup.addStream('S3Delivery');
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:PutLogEvents'],
        resources: [
          Stack.of(this).formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: `${this.logGroup.logGroupName}:log-stream:${logStream.logStreamName}`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );

    this.deliveryStream = new firehose.CfnDeliveryStream(this, 'Stream', {
      deliveryStreamType: 'DirectPut',
      // Records wait in Firehose's buffer up to the buffering interval: encrypted there with the same key as in S3.
      deliveryStreamEncryptionConfigurationInput: {
        keyType: 'CUSTOMER_MANAGED_CMK',
        keyArn: store.encryptionKey.keyArn,
      },
      extendedS3DestinationConfiguration: {
        bucketArn: store.bucket.bucketArn,
        roleArn: this.role.roleArn,
        prefix: this.prefix,
        errorOutputPrefix: errorPrefix,
        compressionFormat: 'GZIP',
        bufferingHints: { intervalInSeconds: interval.toSeconds(), sizeInMBs: props.bufferingSizeMiB ?? 5 },
        encryptionConfiguration: { kmsEncryptionConfig: { awskmsKeyArn: store.encryptionKey.keyArn } },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: this.logGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
      },
    });
    // Firehose checks its role's access when the stream is created: the policy must exist first.
    this.deliveryStream.node.addDependency(this.role);
    this.deliveryStreamName = this.deliveryStream.ref;
    this.deliveryStreamArn = this.deliveryStream.attrArn;
  }

  /** Put captured records in batches (the only call the inference tier makes). */
  grantPutRecordBatch(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['firehose:PutRecordBatch'], resourceArns: [this.deliveryStreamArn] });
  }

  /** A metric of the stream (namespace AWS/Firehose). */
  metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Firehose',
      metricName,
      dimensionsMap: { DeliveryStreamName: this.deliveryStreamName },
      ...props,
    });
  }

  /** Records that reached the stream. Sum over 5 minutes by default. */
  metricIncomingRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('IncomingRecords', { statistic: cloudwatch.Stats.SUM, ...props });
  }

  /** Age in seconds of the oldest record not yet in S3; grows when delivery fails. Maximum by default. */
  metricDataFreshness(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('DeliveryToS3.DataFreshness', { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }
}
