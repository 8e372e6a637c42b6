import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { describe, expect, it } from 'vitest';
import { AlarmNotificationTopic, NoopAlarmActionStrategy, SnsAlarmActionStrategy } from '../../../lib/monitoring/alarm-actions';
import { alarmName, alarmNamingOf, alarmNamingProblems, createThresholdAlarms, teamOfNamespace } from '../../../lib/monitoring/alarms';
import { MetricFactory } from '../../../lib/monitoring/metric-factory';
import { thresholdProblems } from '../../../lib/monitoring/thresholds';
import { rowWidths, thresholdAnnotations } from '../../../lib/monitoring/widgets';
import { exampleConfig } from '../../helpers/synth';
import { nagFindings } from './nag';

const naming = { team: 'fraud', model: 'card-fraud' };
const metric = () => new MetricFactory({ namespace: 'MLOps/fraud', dimensions: { Model: 'card-fraud' } }).metric('InvocationLatency', { statistic: 'p99' });

describe('alarm naming', () => {
  it('names every alarm <team>-<model>-<what>-<severity>, lowercase', () => {
    expect(alarmName(naming, 'latency-p99', 'Critical')).toBe('fraud-card-fraud-latency-p99-critical');
  });

  it('reads the team from a MLOps/<team> namespace only', () => {
    expect(teamOfNamespace('MLOps/fraud')).toBe('fraud');
    expect(teamOfNamespace('Custom/fraud')).toBeUndefined();
  });

  it('takes an explicit team over the namespace, and asks for one when the namespace has another shape', () => {
    expect(alarmNamingOf({ team: 'risk', metricsNamespace: 'MLOps/fraud', modelName: 'm' })).toEqual({ team: 'risk', model: 'm' });
    expect(alarmNamingOf({ metricsNamespace: 'MLOps/fraud', modelName: 'm' })).toEqual({ team: 'fraud', model: 'm' });
    expect(alarmNamingProblems({ metricsNamespace: 'Custom/fraud', modelName: 'm' })).toEqual([
      'team is required when metricsNamespace is not of the form MLOps/<team>, got: "Custom/fraud"',
    ]);
  });
});

describe('createThresholdAlarms', () => {
  it('creates one alarm per configured level at the configured thresholds', () => {
    // GIVEN
    const stack = new Stack();
    const { latencyP99Ms } = exampleConfig().alarms;
    // WHEN
    const alarms = createThresholdAlarms(stack, { metric: metric(), thresholds: latencyP99Ms, naming, what: 'latency-p99', description: 'p99' });
    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'fraud-card-fraud-latency-p99-warning', Threshold: latencyP99Ms.warning });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'fraud-card-fraud-latency-p99-critical', Threshold: latencyP99Ms.critical });
    expect(Object.keys(alarms)).toEqual(['Warning', 'Critical']);
  });

  it('alarms below the threshold for a metric that gets worse as it falls', () => {
    // GIVEN
    const stack = new Stack();
    // WHEN
    createThresholdAlarms(stack, { metric: metric(), thresholds: { critical: 0.7 }, naming, what: 'auc', description: 'AUC', breach: 'below' });
    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'fraud-card-fraud-auc-critical',
      ComparisonOperator: 'LessThanOrEqualToThreshold',
      Threshold: 0.7,
    });
  });

  it('hands every alarm to the action strategy', () => {
    // GIVEN
    const stack = new Stack();
    const topic = new AlarmNotificationTopic(stack, 'Topic');
    // WHEN
    createThresholdAlarms(stack, { metric: metric(), thresholds: { warning: 1 }, naming, what: 'x', description: 'x', actions: topic.strategy });
    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Topic[0-9A-F]{8}$') }],
      OKActions: [{ Ref: Match.stringLikeRegexp('^Topic[0-9A-F]{8}$') }],
    });
  });
});

describe('thresholdProblems', () => {
  it('accepts a pair in range with the warning first', () => {
    expect(thresholdProblems('latencyP99Ms', { warning: 200, critical: 1000 }, { min: 1, max: 60_000 })).toEqual([]);
  });

  it('names an out-of-range level and an inverted pair, with the values', () => {
    expect(thresholdProblems('psi', { warning: 0.5, critical: 11 }, { min: 0, max: 10 })).toEqual(['psi.critical must be between 0 and 10, got: 11']);
    expect(thresholdProblems('psi', { warning: 0.5, critical: 0.2 }, { min: 0, max: 10 })).toEqual([
      'psi.warning must be <= psi.critical (a warning fires first), got: warning 0.5, critical 0.2',
    ]);
    expect(thresholdProblems('auc', { warning: 0.6, critical: 0.7 }, { min: 0, max: 1 }, 'below')).toHaveLength(1);
  });
});

describe('MetricFactory', () => {
  it('applies namespace, dimensions and period, and lets the caller override them', () => {
    // GIVEN
    const factory = new MetricFactory({ namespace: 'MLOps/fraud', dimensions: { Model: 'card-fraud' }, period: Duration.minutes(5) });
    // WHEN
    const metric = factory.metric('FeaturePsi', { statistic: 'Maximum', dimensionsMap: { Feature: 'amount' } }, { period: Duration.hours(1) });
    // THEN
    expect(metric.namespace).toBe('MLOps/fraud');
    expect(metric.dimensions).toEqual({ Model: 'card-fraud', Feature: 'amount' });
    expect(metric.period.toSeconds()).toBe(3600);
    expect(metric.statistic).toBe('Maximum');
  });
});

describe('widgets', () => {
  it('draws a line per configured threshold, coloured by severity', () => {
    expect(thresholdAnnotations({ warning: 0.1, critical: 0.25 }, 'PSI')).toEqual([
      { value: 0.1, label: 'PSI Warning (0.1)', color: '#ff7f0e', fill: cloudwatch.Shading.NONE },
      { value: 0.25, label: 'PSI Critical (0.25)', color: '#d62728', fill: cloudwatch.Shading.NONE },
    ]);
  });

  it.each([1, 2, 3, 5, 7])('spreads %i widgets over the 24 columns', (count) => {
    const widths = rowWidths(count);
    expect(widths).toHaveLength(count);
    expect(widths.reduce((a, b) => a + b, 0)).toBe(24);
  });
});

describe('AlarmNotificationTopic', () => {
  it('encrypts the topic with its own rotating key that CloudWatch may use, and refuses plain HTTP', () => {
    // GIVEN
    const stack = new Stack();
    // WHEN
    new AlarmNotificationTopic(stack, 'Alarms', { email: 'ml-oncall@example.com' });
    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'] }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlarmsKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ml-oncall@example.com' });
  });

  it('is chosen by the config: a topic with notifyEmail, no actions without', () => {
    // GIVEN
    const stack = new Stack();
    // WHEN / THEN
    expect(AlarmNotificationTopic.strategyFor(stack, 'None')).toBeInstanceOf(NoopAlarmActionStrategy);
    expect(AlarmNotificationTopic.strategyFor(stack, 'Email', 'a@example.com')).toBeInstanceOf(SnsAlarmActionStrategy);
  });

  it('passes the AwsSolutions and Serverless nag packs', () => {
    // GIVEN
    const app = new App();
    const stack = new Stack(app, 'Test');
    // WHEN
    new AlarmNotificationTopic(stack, 'Alarms', { email: 'ml-oncall@example.com' });
    // THEN
    expect(nagFindings(app)).toEqual([]);
  });
});
