import type { SynthesizedApp } from '../../assembly/synthesized-app';

/** An AWS::SQS::Queue as its template configures it, with the identity CloudFormation gives it. */
export interface QueueDefinition {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly visibilityTimeoutSeconds: number;
  readonly messageRetentionSeconds: number;
  readonly delaySeconds: number;
  readonly maximumMessageSize: number;
  readonly receiveMessageWaitTimeSeconds: number;
  readonly fifo: boolean;
  /** RedrivePolicy: where a message goes once it was received more than maxReceiveCount times. */
  readonly redrive?: { readonly deadLetterTargetArn: string; readonly maxReceiveCount: number };
  readonly kmsMasterKeyId?: string;
  readonly sqsManagedSseEnabled: boolean;
}

/** SQS's defaults for the properties a template leaves out. */
const DEFAULTS = { VisibilityTimeout: 30, MessageRetentionPeriod: 345_600, DelaySeconds: 0, MaximumMessageSize: 262_144, ReceiveMessageWaitTimeSeconds: 0 };

/** Every queue of the app's templates. */
export function queuesFromTemplates(app: SynthesizedApp): QueueDefinition[] {
  return app.resourcesOfType('AWS::SQS::Queue').map(({ stack, logicalId }) => {
    const props = stack.properties(logicalId);
    const number = (key: keyof typeof DEFAULTS) => (props[key] === undefined ? DEFAULTS[key] : Number(props[key]));
    const redrive = typeof props.RedrivePolicy === 'string' ? JSON.parse(props.RedrivePolicy) : props.RedrivePolicy;
    const kms = props.KmsMasterKeyId === undefined ? undefined : String(props.KmsMasterKeyId);
    return {
      name: String(stack.getAtt(logicalId, 'QueueName')),
      url: stack.ref(logicalId),
      arn: String(stack.getAtt(logicalId, 'Arn')),
      visibilityTimeoutSeconds: number('VisibilityTimeout'),
      messageRetentionSeconds: number('MessageRetentionPeriod'),
      delaySeconds: number('DelaySeconds'),
      maximumMessageSize: number('MaximumMessageSize'),
      receiveMessageWaitTimeSeconds: number('ReceiveMessageWaitTimeSeconds'),
      fifo: props.FifoQueue === true || props.FifoQueue === 'true',
      redrive: redrive?.deadLetterTargetArn
        ? { deadLetterTargetArn: String(redrive.deadLetterTargetArn), maxReceiveCount: Number(redrive.maxReceiveCount) }
        : undefined,
      kmsMasterKeyId: kms,
      // SQS-managed encryption is on by default for new queues unless a KMS key is set or it is turned off.
      sqsManagedSseEnabled: kms === undefined && props.SqsManagedSseEnabled !== false && props.SqsManagedSseEnabled !== 'false',
    };
  });
}
