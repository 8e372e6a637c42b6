import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge } from '../private/nag';
import type { Severity } from './thresholds';

/** What happens when an alarm changes state; the alarm builders call it for every alarm they create. */
export interface IAlarmActionStrategy {
  /**
   * Adds the actions of one new alarm.
   * @param alarm - the alarm just created
   * @param severity - its level, so a strategy can page on Critical and only mail on Warning
   */
  addAlarmActions(alarm: cloudwatch.Alarm, severity: Severity): void;
}

/** No notifications: the alarms still show on the dashboard and emit state-change events. */
export class NoopAlarmActionStrategy implements IAlarmActionStrategy {
  /** Adds nothing. */
  addAlarmActions(): void {}
}

/** Notifies an SNS topic when an alarm goes to ALARM and when it recovers to OK. */
export class SnsAlarmActionStrategy implements IAlarmActionStrategy {
  /** @param topic - the topic notified of every alarm, whatever its severity */
  constructor(private readonly topic: sns.ITopic) {}

  /** Notifies the topic on ALARM and on OK, so the receiver also learns that the problem is over. */
  addAlarmActions(alarm: cloudwatch.Alarm): void {
    const action = new cloudwatchActions.SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
}

/** Props of {@link AlarmNotificationTopic}. */
export interface AlarmNotificationTopicProps {
  /**
   * E-mail address subscribed to the topic (the team config's `alarms.notifyEmail`).
   * @default - no subscription; subscribe to `topic` yourself
   */
  readonly email?: string;
}

/**
 * An SNS topic for alarm notifications: encrypted with its own customer-managed key (which CloudWatch may use to
 * publish), TLS-only. `strategy` plugs it into the alarm builders.
 */
export class AlarmNotificationTopic extends Construct {
  /** The alarm actions for an on-call address: an SNS topic that e-mails `notifyEmail` when it is set, else none. */
  static strategyFor(scope: Construct, id: string, notifyEmail?: string): IAlarmActionStrategy {
    if (!notifyEmail) return new NoopAlarmActionStrategy();
    return new AlarmNotificationTopic(scope, id, { email: notifyEmail }).strategy;
  }

  /** The topic alarms notify; add subscriptions of your own to it. */
  readonly topic: sns.Topic;
  /** The topic's customer-managed key; CloudWatch may use it only for alarms of this account and region. */
  readonly encryptionKey: kms.Key;
  /** Alarm actions that notify the topic: an inference tier's or the drift monitor's `alarmActions`, the operations alarms' `actions`. */
  readonly strategy: IAlarmActionStrategy;

  constructor(scope: Construct, id: string, props: AlarmNotificationTopicProps = {}) {
    super(scope, id);
    this.encryptionKey = new kms.Key(this, 'Key', {
      description: `Alarm notifications of ${this.node.path}`,
      enableKeyRotation: true,
    });
    // CloudWatch publishes alarm notifications as the service, so the key policy must let it use the key; only for
    // alarms of this account and region (the service would otherwise act for any account's alarm: a confused deputy).
    const stack = Stack.of(this);
    this.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'], // in a key policy, '*' means this key
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: `Alarms of ${this.node.path}`,
      masterKey: this.encryptionKey,
      enforceSSL: true,
    });
    if (props.email) {
      const subscription = new sns.Subscription(this, 'Email', {
        topic: this.topic,
        protocol: sns.SubscriptionProtocol.EMAIL,
        endpoint: props.email,
      });
      acknowledge(
        subscription,
        'Serverless-SNSRedrivePolicy',
        'An e-mail subscription: SNS retries e-mail delivery itself and a redrive queue of undelivered alarm mails would have no reader.',
      );
    }
    this.strategy = new SnsAlarmActionStrategy(this.topic);
  }
}
