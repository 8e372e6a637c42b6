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
  addAlarmActions(alarm: cloudwatch.Alarm, severity: Severity): void;
}

/** No notifications: the alarms still show on the dashboard and emit state-change events. */
export class NoopAlarmActionStrategy implements IAlarmActionStrategy {
  addAlarmActions(): void {}
}

/** Notifies an SNS topic when an alarm goes to ALARM and when it recovers to OK. */
export class SnsAlarmActionStrategy implements IAlarmActionStrategy {
  constructor(private readonly topic: sns.ITopic) {}

  addAlarmActions(alarm: cloudwatch.Alarm): void {
    const action = new cloudwatchActions.SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
}

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
  /** The alarm actions of `config.alarms`: an SNS topic when `notifyEmail` is set, else none. */
  static strategyFor(scope: Construct, id: string, alarms: { readonly notifyEmail?: string }): IAlarmActionStrategy {
    if (!alarms.notifyEmail) return new NoopAlarmActionStrategy();
    return new AlarmNotificationTopic(scope, id, { email: alarms.notifyEmail }).strategy;
  }

  readonly topic: sns.Topic;
  readonly encryptionKey: kms.Key;
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
