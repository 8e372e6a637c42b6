import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ApprovalApi } from '../../../lib/approval-api';
import { MlopsTeamStack } from '../../../lib/mlops-team-stack';
import { OperationsAlarms } from '../../../lib/monitoring/operations-alarms';
import { teamFixture } from './team-fixture';
import type { TeamConfigInput } from '../../../contracts/team-config';
import { exampleConfig } from '../../helpers/synth';
import { projectContext } from '../../helpers/project-context';
import { App } from 'aws-cdk-lib';

/** The example team with alarm e-mails, so every alarm has the team's topic as its action. */
describe('OperationsAlarms in the team stack', () => {
  let template: Template;
  let topic: { Ref: string };
  beforeAll(() => {
    const base = exampleConfig();
    const config = exampleConfig({ alarms: { ...base.alarms, notifyEmail: 'ml-oncall@example.com' } as TeamConfigInput['alarms'] });
    const app = new App({ context: { ...projectContext(), 'aws:cdk:bundling-stacks': [] } });
    template = Template.fromStack(new MlopsTeamStack(app, 'Mlops-fraud', { config }));
    topic = { Ref: Object.keys(template.findResources('AWS::SNS::Topic'))[0] };
  });

  const alarm = (name: string) => {
    const found = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: name } }));
    expect(found, name).toHaveLength(1);
    return (found[0] as { Properties: Record<string, unknown> }).Properties;
  };

  it('alarms on deployment executions that failed, timed out or were aborted, to the team topic', () => {
    const props = alarm('fraud-card-fraud-deployment-executions-failed-critical');
    expect(props).toMatchObject({ Threshold: 1, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', AlarmActions: [topic], OKActions: [topic] });
    const metrics = props.Metrics as Array<{ Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Dimensions: unknown[] }; Stat: string } }>;
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)');
    expect(metrics.filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat!.Metric.MetricName, m.MetricStat!.Stat])).toEqual([
      ['failed', 'ExecutionsFailed', 'Sum'],
      ['timedOut', 'ExecutionsTimedOut', 'Sum'],
      ['aborted', 'ExecutionsAborted', 'Sum'],
    ]);
    expect(JSON.stringify(metrics)).toMatch(/DeploymentFlowStateMachine/);
  });

  it('alarms on batch scoring runs that failed, timed out or were aborted, to the team topic', () => {
    const props = alarm('fraud-card-fraud-scoring-executions-failed-critical');
    expect(props).toMatchObject({ Threshold: 1, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', AlarmActions: [topic], OKActions: [topic] });
    const metrics = props.Metrics as Array<{ Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Dimensions: Array<{ Value: unknown }> }; Stat: string } }>;
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)');
    expect(metrics.filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat!.Metric.MetricName, m.MetricStat!.Stat])).toEqual([
      ['failed', 'ExecutionsFailed', 'Sum'],
      ['timedOut', 'ExecutionsTimedOut', 'Sum'],
      ['aborted', 'ExecutionsAborted', 'Sum'],
    ]);
    // Every metric is the scoring machine's, none the deployment flow's.
    for (const m of metrics.filter((m) => m.MetricStat)) expect(JSON.stringify(m.MetricStat!.Metric.Dimensions)).toMatch(/BatchScoringStateMachine/);
  });

  /** The one metric a single-metric alarm watches (labelled metrics render as a one-entry `Metrics` list). */
  const watched = (props: Record<string, unknown>) => {
    const stat = (props.Metrics as Array<{ MetricStat: { Metric: Record<string, unknown>; Stat: string } }>)[0].MetricStat;
    return { ...stat.Metric, Stat: stat.Stat };
  };

  it('alarms on every rolled-back deployment: a run of the Rollback step', () => {
    const props = alarm('fraud-card-fraud-deployment-rolled-back-critical');
    expect(props).toMatchObject({ Threshold: 1, EvaluationPeriods: 1, AlarmActions: [topic] });
    expect(watched(props)).toEqual({
      Namespace: 'AWS/Lambda',
      MetricName: 'Invocations',
      Stat: 'Sum',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: expect.stringMatching(/^DeploymentFlowRollbackFunction/) } }],
    });
  });

  it('alarms on the registry stream iterator age at 5 (Warning) and 60 (Critical) minutes, in ms', () => {
    for (const [severity, threshold] of [['warning', 300_000], ['critical', 3_600_000]] as const) {
      const props = alarm(`fraud-card-fraud-registry-stream-iterator-age-${severity}`);
      expect(props).toMatchObject({ Threshold: threshold, AlarmActions: [topic] });
      expect(watched(props)).toEqual({
        Namespace: 'AWS/Lambda',
        MetricName: 'IteratorAge',
        Stat: 'Maximum',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: expect.stringMatching(/^RegistryStreamPublisher/) } }],
      });
    }
  });

  it('alarms on audit rows the publisher could not turn into an event', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'fraud-card-fraud-registry-events-malformed-critical',
      Namespace: 'MLOps/fraud',
      MetricName: 'MalformedAuditRows',
      Statistic: 'Sum',
      Threshold: 1,
      AlarmActions: [topic],
    });
  });

  it("alarms on the publisher's undelivered events: its dead-letter queue has the dead-letter alarm", () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'fraud-card-fraud-dead-letters-registry-publish-dlq-critical',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RegistryPublishDlq'), 'QueueName'] } }],
      AlarmActions: [topic],
    });
  });

  it('alarms on approval API 5xx answers', () => {
    for (const [severity, threshold] of [['warning', 1], ['critical', 5]] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `fraud-card-fraud-approval-api-5xx-${severity}`,
        Namespace: 'AWS/ApiGateway',
        MetricName: '5xx',
        Statistic: 'Sum',
        Threshold: threshold,
        AlarmActions: [topic],
      });
    }
  });

  it('puts every operations and dead-letter alarm on the dashboard, and graphs every dead-letter queue', () => {
    const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0] as { Properties: { DashboardBody: unknown } };
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    const alarmIds = Object.entries(template.findResources('AWS::CloudWatch::Alarm'))
      .filter(([, a]) => /-(deployment|scoring|registry|approval-api|dead-letters)-/.test(String((a as { Properties: { AlarmName?: string } }).Properties.AlarmName)))
      .map(([id]) => id);
    expect(alarmIds.length).toBeGreaterThanOrEqual(10);
    for (const id of alarmIds) expect(body, id).toContain(`"${id}","Arn"`);
    for (const queue of Object.keys(template.findResources('AWS::SQS::Queue'))) expect(body, queue).toContain(`"${queue}","QueueName"`);
  });
});

describe('OperationsAlarms props', () => {
  it('reports an out-of-range and an inverted threshold pair in one error', () => {
    // GIVEN
    const f = teamFixture();
    const approvalApi = new ApprovalApi(f.stack, 'Api', { registry: f.registry, metricsNamespace: f.metricsNamespace });
    // WHEN / THEN
    expect(
      () =>
        new OperationsAlarms(f.stack, 'Ops', {
          team: 'fraud',
          modelName: 'card-fraud',
          registry: f.registry,
          approvalApi,
          streamIteratorAgeMinutes: { warning: 0 },
          approvalApiServerErrors: { warning: 10, critical: 5 },
        }),
    ).toThrow(
      [
        'Test/Ops: invalid props:',
        '  - streamIteratorAgeMinutes.warning must be between 1 and 10080, got: 0',
        '  - approvalApiServerErrors.warning must be <= approvalApiServerErrors.critical (a warning fires first), got: warning 10, critical 5',
      ].join('\n'),
    );
  });
});
