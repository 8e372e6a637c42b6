import { App, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { describe, expect, it } from 'vitest';
import { alarmNameOf, metricQueries, planWidget } from '../../console/src/lib/dashboard-model';
import type { AlarmView, DashboardWidget } from '../../contracts/twin-api';

/** Widgets as CDK renders them into a DashboardBody, so the console is tested against the real output format. */
function rendered(...widgets: cloudwatch.IWidget[]): DashboardWidget[] {
  const stack = new Stack(new App(), 'Dashboards');
  return widgets.flatMap((widget) => stack.resolve(widget.toJson()) as DashboardWidget[]);
}

const invocations = new cloudwatch.Metric({ namespace: 'MLOps/fraud', metricName: 'Invocations', dimensionsMap: { Model: 'card-fraud' }, statistic: 'Sum', period: Duration.minutes(1) });
const errors = new cloudwatch.Metric({ namespace: 'MLOps/fraud', metricName: 'Errors', dimensionsMap: { Model: 'card-fraud' }, statistic: 'Sum', period: Duration.minutes(1) });

describe('planWidget on CDK-rendered widgets', () => {
  it('plans a graph with its series, stat, period and threshold annotation', () => {
    const [widget] = rendered(
      new cloudwatch.GraphWidget({ title: 'Invocations', left: [invocations], leftAnnotations: [{ value: 100, label: 'capacity', color: '#ff0000' }] }),
    );
    const plan = planWidget(widget, []);
    expect(plan).toMatchObject({
      kind: 'chart',
      title: 'Invocations',
      view: 'timeSeries',
      annotations: [{ value: 100, label: 'capacity', color: '#ff0000' }],
      series: [{ kind: 'metric', namespace: 'MLOps/fraud', metricName: 'Invocations', dimensions: { Model: 'card-fraud' }, stat: 'Sum', period: 60, visible: true }],
    });
  });

  it('plans a math expression with its hidden inputs, and queries the inputs', () => {
    const [widget] = rendered(
      new cloudwatch.GraphWidget({
        title: 'Error rate',
        left: [new cloudwatch.MathExpression({ expression: '100 * e / i', usingMetrics: { e: errors, i: invocations }, label: 'Error rate (%)', period: Duration.minutes(1) })],
      }),
    );
    const plan = planWidget(widget, []);
    if (plan.kind !== 'chart') throw new Error('expected a chart');
    expect(plan.series.map((s) => [s.kind, s.id, s.visible])).toEqual([
      ['expression', expect.any(String), true],
      ['metric', 'e', false],
      ['metric', 'i', false],
    ]);
    expect(metricQueries(plan.series).map((q) => [q.id, q.metricName, q.stat, q.period])).toEqual([
      ['e', 'Errors', 'Sum', 60],
      ['i', 'Invocations', 'Sum', 60],
    ]);
  });

  it('coarsens periods too fine for the time range and keeps coarser ones', () => {
    const [widget] = rendered(new cloudwatch.GraphWidget({ left: [invocations, errors.with({ period: Duration.hours(1) })] }));
    const plan = planWidget(widget, []);
    if (plan.kind !== 'chart') throw new Error('expected a chart');
    expect(metricQueries(plan.series, 300).map((q) => q.period)).toEqual([300, 3600]);
  });

  it('plans single values, text and alarm status widgets', () => {
    const alarm = new cloudwatch.Alarm(new Stack(new App(), 'Alarms'), 'Latency', { alarmName: 'fraud-latency-p99', metric: invocations, threshold: 200, evaluationPeriods: 1 });
    const [single, text, status] = rendered(
      new cloudwatch.SingleValueWidget({ title: 'Traffic', metrics: [invocations] }),
      new cloudwatch.TextWidget({ markdown: '# Card fraud', width: 24, height: 2 }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [alarm] }),
    );
    expect(planWidget(single, [])).toMatchObject({ kind: 'chart', view: 'singleValue', title: 'Traffic' });
    expect(planWidget(text, [])).toEqual({ kind: 'text', markdown: '# Card fraud' });
    expect(planWidget(status, [])).toMatchObject({ kind: 'alarms', title: 'Alarms' });
  });

  it('draws an alarm widget from the alarm the twin knows, with its threshold', () => {
    const widget: DashboardWidget = { type: 'metric', x: 0, y: 0, width: 12, height: 6, properties: { title: 'p99 latency', annotations: { alarms: ['arn:aws:cloudwatch:us-east-1:000000000000:alarm:fraud-latency-p99'] } } };
    const alarms: AlarmView[] = [
      { alarmName: 'fraud-latency-p99', state: 'OK', reason: 'Unchecked: Initial alarm creation', updatedAt: '2025-01-01T12:00:00.000Z', namespace: 'MLOps/fraud', metricName: 'LatencyMs', dimensions: { Model: 'card-fraud' }, threshold: 200, comparisonOperator: 'GreaterThanThreshold' },
    ];
    expect(planWidget(widget, alarms)).toMatchObject({
      kind: 'chart',
      series: [{ metricName: 'LatencyMs', dimensions: { Model: 'card-fraud' } }],
      annotations: [{ value: 200, label: 'fraud-latency-p99 threshold' }],
    });
    expect(planWidget(widget, [])).toMatchObject({ kind: 'chart', series: [], error: 'alarm fraud-latency-p99 is not known to the twin' });
  });

  it('reports a malformed metrics array on the widget instead of failing the dashboard', () => {
    const plan = planWidget({ type: 'metric', properties: { title: 'Broken', metrics: [['.', 'X']] } }, []);
    expect(plan).toMatchObject({ kind: 'chart', series: [], error: expect.stringContaining('"." has no element') });
  });

  it('says which widget types it does not draw', () => {
    expect(planWidget({ type: 'log', properties: { title: 'Logs' } }, [])).toEqual({ kind: 'unsupported', title: 'Logs', reason: 'log widgets are not drawn by the local console' });
  });
});

describe('alarmNameOf', () => {
  it('takes the name from an alarm ARN', () => {
    expect(alarmNameOf('arn:aws:cloudwatch:eu-west-1:123456789012:alarm:fraud:error-rate')).toBe('fraud:error-rate');
    expect(alarmNameOf('plain-name')).toBe('plain-name');
  });
});
