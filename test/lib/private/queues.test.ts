import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { SnsAlarmActionStrategy } from '../../../lib/monitoring/alarm-actions';
import { deadLetterQueue, nameDeadLetterAlarms } from '../../../lib/private/queues';
import { teamTemplate } from '../../helpers/team-assembly';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** Logical ids of the queues something sends its failures to, read from the template (not from our constructs). */
function deadLetterQueueIds(resources: Resources): Set<string> {
  const ids = new Set<string>();
  const collect = (value: unknown) => {
    const getAtt = (value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
    if (getAtt && getAtt[1] === 'Arn' && resources[getAtt[0]]?.Type === 'AWS::SQS::Queue') ids.add(getAtt[0]);
  };
  for (const resource of Object.values(resources)) {
    const props = resource.Properties ?? {};
    if (resource.Type === 'AWS::Lambda::Function') collect((props.DeadLetterConfig as { TargetArn?: unknown })?.TargetArn);
    if (resource.Type === 'AWS::Events::Rule') for (const target of (props.Targets as Array<{ DeadLetterConfig?: { Arn?: unknown } }>) ?? []) collect(target.DeadLetterConfig?.Arn);
    if (resource.Type === 'AWS::Lambda::EventSourceMapping') {
      collect((props.DestinationConfig as { OnFailure?: { Destination?: unknown } })?.OnFailure?.Destination);
    }
  }
  return ids;
}

const queueAlarm = (queueId: string) => ({
  Namespace: 'AWS/SQS',
  MetricName: 'ApproximateNumberOfMessagesVisible',
  Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
  Statistic: 'Maximum',
  Period: 60,
  Threshold: 1,
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  EvaluationPeriods: 1,
  DatapointsToAlarm: 1,
  TreatMissingData: 'notBreaching',
});

describe('dead-letter queue alarms in the example team stack', () => {
  let resources: Resources;
  let template: Template;
  beforeAll(async () => {
    template = await teamTemplate();
    resources = template.toJSON().Resources as Resources;
  }, 600_000);

  it('finds the dead-letter queues of functions, rule targets and the stream mapping, and no other queue', () => {
    const dlqs = deadLetterQueueIds(resources);
    // The deployment flow's rule and Release function, the registry's stream publisher, the training schedule and
    // the drift monitor's targets: if this count changes, a queue was added or lost its role.
    expect(dlqs.size).toBeGreaterThanOrEqual(5);
    expect(Object.keys(template.findResources('AWS::SQS::Queue')).sort()).toEqual([...dlqs].sort());
  });

  it('gives every dead-letter queue exactly one alarm on its visible messages, named like the platform alarms', () => {
    for (const queueId of deadLetterQueueIds(resources)) {
      const alarms = template.findResources('AWS::CloudWatch::Alarm', { Properties: Match.objectLike(queueAlarm(queueId)) });
      expect(Object.keys(alarms), queueId).toHaveLength(1);
      const name = (Object.values(alarms)[0] as { Properties: { AlarmName: string } }).Properties.AlarmName;
      expect(name).toMatch(/^fraud-card-fraud-dead-letters-[a-z0-9-]+-critical$/);
    }
  });

  it('names the Release function dead-letter queue alarm after its path in the stack', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'fraud-card-fraud-dead-letters-deployment-flow-release-dlq-critical',
      AlarmDescription: Match.stringLikeRegexp('^Critical: messages in the dead-letter queue DeploymentFlow/ReleaseDlq '),
    });
  });

  it('sends no notification when the team config names no e-mail (as the tiers alarms)', () => {
    const alarms = template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/SQS' } });
    for (const alarm of Object.values(alarms)) expect((alarm as { Properties: Record<string, unknown> }).Properties.AlarmActions).toBeUndefined();
  });
});

describe('nameDeadLetterAlarms', () => {
  it('names and notifies the dead-letter alarms of a scope, and leaves a construct used alone unnamed', () => {
    // GIVEN two dead-letter queues, one in a stack that names its alarms and one in a stack that does not
    const app = new App();
    const named = new Stack(app, 'Named');
    const alone = new Stack(app, 'Alone');
    deadLetterQueue(named, 'OrdersDlq');
    deadLetterQueue(alone, 'OrdersDlq');
    const topic = new sns.Topic(named, 'Alarms');

    // WHEN the named stack names its alarms with SNS actions
    const alarms = nameDeadLetterAlarms(named, { team: 'fraud', model: 'card-fraud' }, new SnsAlarmActionStrategy(topic));

    // THEN its one alarm is named and notifies on ALARM and OK; the other stack's alarm has neither
    expect(alarms).toHaveLength(1);
    Template.fromStack(named).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'fraud-card-fraud-dead-letters-orders-dlq-critical',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Alarms') }],
      OKActions: [{ Ref: Match.stringLikeRegexp('^Alarms') }],
    });
    const lone = Object.values(Template.fromStack(alone).findResources('AWS::CloudWatch::Alarm'));
    expect(lone).toHaveLength(1);
    expect((lone[0] as { Properties: Record<string, unknown> }).Properties).not.toHaveProperty('AlarmName');
    expect((lone[0] as { Properties: Record<string, unknown> }).Properties).not.toHaveProperty('AlarmActions');
  });
});
