import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import type { IAlarmActionStrategy } from '../monitoring/alarm-actions';
import { type AlarmNaming, alarmName } from '../monitoring/alarms';
import type { Severity } from '../monitoring/thresholds';
import { acknowledge } from './nag';

/** A message in a dead-letter queue is work that never happened (an event no target took): always critical. */
const DEAD_LETTER_SEVERITY: Severity = 'Critical';

/**
 * A dead-letter queue: TLS-only, messages kept for the SQS maximum of 14 days so an operator has time to look and
 * redrive. Encrypted with `key` when the sender is one of our roles; with SQS-managed keys when the sender is a
 * service (EventBridge) that a customer-managed key would have to name in its key policy.
 *
 * Every dead-letter queue gets a `DeadLetterQueueAlarm`: a queue nobody watches loses its messages silently after
 * 14 days. The alarm is named and given actions by `nameDeadLetterAlarms`, which the team stack calls once.
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
  new DeadLetterQueueAlarm(queue);
  return queue;
}

/**
 * ALARM as soon as one message is visible in its dead-letter queue (AWS/SQS ApproximateNumberOfMessagesVisible,
 * Maximum over one minute). A queue with no traffic publishes no datapoints, so missing data is not breaching.
 */
export class DeadLetterQueueAlarm extends cloudwatch.Alarm {
  /** The dead-letter alarms in `scope` (e.g. a whole stack), in construct-tree order. */
  static within(scope: IConstruct): DeadLetterQueueAlarm[] {
    return scope.node.findAll().filter((c): c is DeadLetterQueueAlarm => c instanceof DeadLetterQueueAlarm);
  }

  readonly queue: sqs.IQueue;

  constructor(queue: sqs.Queue) {
    super(queue, 'NotEmptyAlarm', {
      alarmDescription: `${DEAD_LETTER_SEVERITY}: messages in the dead-letter queue ${pathInStack(queue)} (work that was never done: look at them and redrive) >= 1`,
      metric: queue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.queue = queue;
  }

  /** `<team>-<model>-dead-letters-<queue path>-critical`, the platform's alarm naming (lib/monitoring/alarms.ts). */
  nameFor(naming: AlarmNaming): string {
    return alarmName(naming, `dead-letters-${kebab(pathInStack(this.node.scope!))}`, DEAD_LETTER_SEVERITY);
  }
}

/**
 * Names every dead-letter alarm under `scope` as the platform names its alarms and sends it to `actions`. The team
 * stack calls it once its constructs exist, so the constructs that make dead-letter queues need no naming or actions
 * props; a construct used alone keeps alarms with CloudFormation-generated names and no actions.
 */
export function nameDeadLetterAlarms(scope: IConstruct, naming: AlarmNaming, actions: IAlarmActionStrategy): DeadLetterQueueAlarm[] {
  const alarms = DeadLetterQueueAlarm.within(scope);
  for (const alarm of alarms) {
    (alarm.node.defaultChild as cloudwatch.CfnAlarm).alarmName = alarm.nameFor(naming);
    actions.addAlarmActions(alarm, DEAD_LETTER_SEVERITY);
  }
  return alarms;
}

/** EventBridge delivery retries for a day, then the dead-letter queue: an event a target never accepted is kept. */
export function ruleTargetOptions(dlq: sqs.IQueue): targets.TargetBaseProps {
  return { deadLetterQueue: dlq, retryAttempts: 8, maxEventAge: Duration.hours(24) };
}

function pathInStack(construct: IConstruct): string {
  const stackPath = Stack.of(construct).node.path;
  return construct.node.path.slice(stackPath.length + 1);
}

/** `DeploymentFlow/ReleaseDlq` -> `deployment-flow-release-dlq`. */
function kebab(path: string): string {
  return path
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .join('-')
    .toLowerCase();
}
