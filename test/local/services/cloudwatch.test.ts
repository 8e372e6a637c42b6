import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { beforeAll, describe, expect, it } from 'vitest';
import { Clock } from '../../../local/clock';
import { Alarms, type AlarmState } from '../../../local/services/cloudwatch/alarms';
import { datapointsOfLogLine } from '../../../local/services/cloudwatch/emf';
import { MetricStore } from '../../../local/services/cloudwatch/metric-store';
import { Timeline } from '../../../local/timeline';
import type { SynthesizedApp } from '../../../local/assembly/synthesized-app';
import { readApp, synthesize } from '../support/synth';

const emfLine = (timestamp: number, values: Record<string, number | number[]>, dimensions: Record<string, string>, namespace = 'Shop') =>
  JSON.stringify({
    _aws: { Timestamp: timestamp, CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [Object.keys(dimensions), []], Metrics: Object.keys(values).map((Name) => ({ Name, Unit: 'Count' })) }] },
    ...dimensions,
    ...values,
  });

describe('EMF ingestion', () => {
  it('emits each metric once per dimension set, array values as separate datapoints', () => {
    const points = datapointsOfLogLine(emfLine(1000, { Latency: [10, 20], Orders: 1 }, { Service: 'api' }));
    expect(points).toHaveLength(6);
    expect(points.filter((p) => p.metricName === 'Latency' && p.dimensions.Service === 'api').map((p) => p.value)).toEqual([10, 20]);
    expect(points.filter((p) => p.metricName === 'Orders' && Object.keys(p.dimensions).length === 0)).toHaveLength(1);
  });

  it('ignores plain log lines and drops metrics whose dimension value is missing', () => {
    expect(datapointsOfLogLine('{"level":"INFO","message":"hello"}')).toEqual([]);
    expect(datapointsOfLogLine('not json at all')).toEqual([]);
    const line = JSON.stringify({ _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'Shop', Dimensions: [['Missing']], Metrics: [{ Name: 'Orders' }] }] }, Orders: 1 });
    expect(datapointsOfLogLine(line)).toEqual([]);
  });

  it('aggregates Sum, Average, SampleCount and nearest-rank percentiles per period', () => {
    const store = new MetricStore(0);
    for (let i = 1; i <= 100; i++) store.put({ namespace: 'Shop', metricName: 'Latency', dimensions: {}, timestamp: i, value: i });
    const q = (stat: string) => store.query({ namespace: 'Shop', metricName: 'Latency', dimensions: {}, stat, periodMs: 1000 }, 0, 1000).values[0];
    expect([q('Sum'), q('Average'), q('SampleCount'), q('p99'), q('p50'), q('Maximum')]).toEqual([5050, 50.5, 100, 99, 50, 100]);
  });
});

describe('alarms from a synthesized template', () => {
  let app: SynthesizedApp;

  beforeAll(() => {
    // GIVEN a p99 latency alarm (2 of 3 periods) and an error-rate alarm on metric math
    app = readApp(
      synthesize((stack: Stack) => {
        const latency = new cloudwatch.Metric({ namespace: 'Shop', metricName: 'Latency', dimensionsMap: { Service: 'api' }, statistic: 'p99', period: Duration.minutes(1) });
        new cloudwatch.Alarm(stack, 'Latency', {
          alarmName: 'latency-p99',
          metric: latency,
          threshold: 100,
          evaluationPeriods: 3,
          datapointsToAlarm: 2,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
        const metric = (metricName: string) => new cloudwatch.Metric({ namespace: 'Shop', metricName, dimensionsMap: { Service: 'api' }, statistic: 'Sum', period: Duration.minutes(1) });
        new cloudwatch.Alarm(stack, 'ErrorRate', {
          alarmName: 'error-rate',
          metric: new cloudwatch.MathExpression({ expression: '100 * FILL(errors, 0) / requests', usingMetrics: { errors: metric('Errors'), requests: metric('Requests') }, period: Duration.minutes(1) }),
          threshold: 5,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        });
        // and an alarm on SUM(METRICS()): the expression names none of its metrics, METRICS() stands for all of them
        new cloudwatch.Alarm(stack, 'Traffic', {
          alarmName: 'traffic',
          metric: new cloudwatch.MathExpression({ expression: 'SUM(METRICS())', usingMetrics: { requests: metric('Requests'), errors: metric('Errors') }, period: Duration.minutes(1) }),
          threshold: 10,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
      }),
    );
  });

  // At scale 60 a one-minute period lasts one real second.
  const setup = () => {
    const store = new MetricStore(0);
    const alarms = new Alarms(app, store, new Clock(60), new Timeline());
    const changes: Array<[string, AlarmState['value'], AlarmState['value']]> = [];
    alarms.onStateChange((alarm, state, previous) => changes.push([alarm.name, previous.value, state.value]));
    const put = (metricName: string, timestamp: number, value: number) =>
      store.put({ namespace: 'Shop', metricName, dimensions: { Service: 'api' }, timestamp, value });
    return { store, alarms, changes, put };
  };

  it('goes to ALARM when DatapointsToAlarm of the last EvaluationPeriods breach, and back to OK', () => {
    const { alarms, changes, put } = setup();
    // WHEN two of the last three one-second periods have a p99 above 100
    put('Latency', 10_100, 150);
    put('Latency', 11_100, 90);
    put('Latency', 12_100, 300);
    alarms.evaluateAll(12_500);
    // THEN the alarm fires, the reason naming the datapoints and threshold
    expect(alarms.states.get('latency-p99')?.value).toBe('ALARM');
    expect(alarms.states.get('latency-p99')?.reason).toContain('greater than the threshold (100)');
    expect(changes).toContainEqual(['latency-p99', 'INSUFFICIENT_DATA', 'ALARM']);
    // WHEN later periods are empty (notBreaching)
    alarms.evaluateAll(20_500);
    expect(alarms.states.get('latency-p99')?.value).toBe('OK');
  });

  it('evaluates metric math: FILL and division per period', () => {
    const { alarms, put } = setup();
    put('Requests', 30_100, 100);
    alarms.evaluateAll(30_500);
    expect(alarms.states.get('error-rate')?.value).toBe('OK');
    put('Requests', 31_100, 100);
    put('Errors', 31_200, 7);
    alarms.evaluateAll(31_500);
    expect(alarms.states.get('error-rate')?.value).toBe('ALARM');
  });

  it('evaluates METRICS() as every metric of the alarm, summed per period', () => {
    const { alarms, put } = setup();
    // WHEN a period has 6 requests and no errors THEN the sum stays under 10
    put('Requests', 50_100, 6);
    alarms.evaluateAll(50_500);
    expect(alarms.states.get('traffic')?.value).toBe('OK');
    // WHEN the next period has 6 requests and 5 errors THEN their sum, 11, reaches the threshold
    put('Requests', 51_100, 6);
    put('Errors', 51_200, 5);
    alarms.evaluateAll(51_500);
    expect(alarms.states.get('traffic')?.value).toBe('ALARM');
  });

  it('reports INSUFFICIENT_DATA for TreatMissingData=missing without datapoints', () => {
    const { alarms } = setup();
    alarms.evaluateAll(40_000);
    expect(alarms.states.get('error-rate')?.value).toBe('INSUFFICIENT_DATA');
    expect(alarms.describeAlarms({ StateValue: 'INSUFFICIENT_DATA' }).MetricAlarms.map((a) => a.AlarmName)).toEqual(['error-rate']);
  });
});
