import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { ShadowTest, type ShadowTestProps } from '../../lib/shadow-test';
import { actionsOf, identityStatements } from './monitoring/iam';
import { nagFindings } from './monitoring/nag';
import { teamFixture, type TeamFixture } from './monitoring/team-fixture';

/** GIVEN a team fixture and a stand-in for the live inference function. */
function shadowTest(f: TeamFixture, overrides: Partial<ShadowTestProps> = {}) {
  const live = new lambda.Function(f.stack, 'Live', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = 1') });
  const built = new ShadowTest(f.stack, 'Shadow', {
    modelName: 'card-fraud',
    inferenceFunction: live,
    registry: f.registry,
    artifactStore: f.artifactStore,
    metricsNamespace: f.metricsNamespace,
    ...overrides,
  });
  return { live, built };
}

const liveLogicalId = (template: Template) =>
  Object.entries(template.findResources('AWS::Lambda::Function')).find(([, r]) => r.Properties.Code?.ZipFile !== undefined)![0];

describe('ShadowTest', () => {
  it('names the shadow function in the live function\'s environment and lets the live role invoke exactly that function', () => {
    const f = teamFixture();
    shadowTest(f);
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Code: { ZipFile: Match.anyValue() },
      Environment: { Variables: { SHADOW_FUNCTION_NAME: { Ref: Match.stringLikeRegexp('^ShadowShadowFunction') } } },
    });
    const live = identityStatements(template, `${liveLogicalId(template).replace(/[0-9A-F]{8}$/, '')}ServiceRole`);
    const invoke = live.filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    // The unqualified ARN alone: no version or alias wildcard.
    expect(invoke[0].Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ShadowShadowFunction/), 'Arn'] });
  });

  it('runs the report on its schedule (hourly by default) with retries and a dead-letter queue; the shadow function\'s failed events go there too', () => {
    const f = teamFixture();
    shadowTest(f);
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ShadowReportFunction'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ShadowDeadLetters'), 'Arn'] } },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Answers copies of live requests with the version of card-fraud in shadow',
      MemorySize: 2048,
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ShadowDeadLetters'), 'Arn'] } },
      Layers: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ShadowDeadLetters'), 'QueueName'] } }],
    });
    const custom = shadowTest(teamFixture(), { reportSchedule: 'cron(5 * * * ? *)' });
    Template.fromStack(custom.built.node.scope as never).hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(5 * * * ? *)' });
  });

  it("grants the shadow function writes under shadow/<model>/ only, and the report reads there and writes the registry", () => {
    const f = teamFixture();
    shadowTest(f);
    const template = Template.fromStack(f.stack);
    const shadow = identityStatements(template, 'ShadowShadowFunctionRole');
    const puts = JSON.stringify(shadow.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:PutObject'))).map((s) => s.Resource));
    expect(puts).toContain('/shadow/card-fraud/*');
    expect(puts).not.toContain('/models/');
    expect(shadow.some((s) => actionsOf(s).includes('dynamodb:PutItem'))).toBe(false);
    const report = identityStatements(template, 'ShadowReportFunctionRole');
    expect(JSON.stringify(report.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:GetObject'))).map((s) => s.Resource))).toContain('/shadow/card-fraud/*');
    expect(report.some((s) => actionsOf(s).some((a) => a === 'dynamodb:PutItem' || a === 'dynamodb:UpdateItem'))).toBe(true);
    expect(report.some((s) => actionsOf(s).some((a) => a.startsWith('s3:Put')))).toBe(false);
  });

  it('reports a bad memory size with its value', () => {
    expect(() => shadowTest(teamFixture(), { memorySize: 100 })).toThrow(/invalid props:\n {2}- memorySize must be an integer between 512 and 10240, got: 100/);
  });

  it('builds its metrics per shadow version in the team namespace', () => {
    const { built } = shadowTest(teamFixture());
    const metric = built.metricAgreementRate(2);
    expect(metric.namespace).toBe('MLOps/fraud');
    expect(metric.metricName).toBe('ShadowAgreementRate');
    expect(metric.dimensions).toEqual({ Model: 'card-fraud', ShadowVersion: '2' });
    expect(built.metricErrors(3).statistic).toBe('Sum');
  });

  it('passes cdk-nag', () => {
    const f = teamFixture();
    const { built } = shadowTest(f);
    expect(nagFindings(f.app, built)).toEqual([]);
  });
});
