import { Duration } from 'aws-cdk-lib';
import type * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from './nag';

/**
 * A dead-letter queue: TLS-only, messages kept for the SQS maximum of 14 days so an operator has time to look and
 * redrive. Encrypted with `key` when the sender is one of our roles; with SQS-managed keys when the sender is a
 * service (EventBridge) that a customer-managed key would have to name in its key policy.
 */
export function deadLetterQueue(scope: Construct, id: string, key?: kms.IKey): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: key ? sqs.QueueEncryption.KMS : sqs.QueueEncryption.SQS_MANAGED,
    encryptionMasterKey: key,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  const reason = 'This queue is itself a dead-letter queue; it has no further queue to redrive to.';
  acknowledge(queue, 'AwsSolutions-SQS3', reason);
  acknowledge(queue, 'Serverless-SQSRedrivePolicy', reason);
  return queue;
}

/** EventBridge delivery retries for a day, then the dead-letter queue: an event a target never accepted is kept. */
export function ruleTargetOptions(dlq: sqs.IQueue): targets.TargetBaseProps {
  return { deadLetterQueue: dlq, retryAttempts: 8, maxEventAge: Duration.hours(24) };
}
