import type { SynthesizedApp } from '../../assembly/synthesized-app';
import { alarmArn } from '../../assembly/resource-identity';
import type { Clock } from '../../clock';
import type { Timeline } from '../../timeline';
import { evaluateExpression } from '../../../console/src/lib/expressions';
import { canonicalStat, type MetricStore, type Series } from './metric-store';

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

interface MetricStat {
  readonly id: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly stat: string;
  readonly periodSeconds: number;
}

export interface AlarmDefinition {
  readonly name: string;
  readonly arn: string;
  readonly description?: string;
  readonly comparisonOperator: string;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: 'breaching' | 'notBreaching' | 'ignore' | 'missing';
  readonly periodSeconds: number;
  readonly metrics: MetricStat[];
  /** The metric-math expression whose result is compared, when the alarm uses one. */
  readonly expression?: { id: string; expression: string };
  readonly alarmActions: string[];
  readonly okActions: string[];
}

export interface AlarmState {
  value: AlarmStateValue;
  reason: string;
  updatedAt: string;
}

export type AlarmStateChangeListener = (alarm: AlarmDefinition, state: AlarmState, previous: AlarmState) => void;

const COMPARE: Record<string, [(v: number, t: number) => boolean, string]> = {
  GreaterThanOrEqualToThreshold: [(v, t) => v >= t, 'greater than or equal to'],
  GreaterThanThreshold: [(v, t) => v > t, 'greater than'],
  LessThanThreshold: [(v, t) => v < t, 'less than'],
  LessThanOrEqualToThreshold: [(v, t) => v <= t, 'less than or equal to'],
};

/**
 * AWS::CloudWatch::Alarm from the templates (a metric with Statistic/ExtendedStatistic, or metric math over
 * `Metrics`), evaluated on the twin's metric store the way CloudWatch documents it: the last EvaluationPeriods
 * periods (periods shortened by the clock's scale; the current, partial period included so a fresh datapoint counts
 * at once), ALARM when at least DatapointsToAlarm of them breach, missing periods per TreatMissingData.
 */
export class Alarms {
  readonly definitions: AlarmDefinition[] = [];
  readonly states = new Map<string, AlarmState>();
  private readonly listeners = new Set<AlarmStateChangeListener>();
  private timer?: NodeJS.Timeout;

  constructor(
    app: SynthesizedApp,
    private readonly store: MetricStore,
    private readonly clock: Clock,
    private readonly timeline: Timeline,
  ) {
    this.load(app);
  }

  /**
   * A stack update: every alarm is read again from the new templates (a changed alarm is updated in place). An alarm
   * keeps its state while its name stays; a new one starts INSUFFICIENT_DATA, a removed one is gone.
   */
  reconcile(app: SynthesizedApp): void {
    const previous = new Map(this.states);
    this.definitions.length = 0;
    this.states.clear();
    this.load(app);
    for (const [name, state] of previous) if (this.states.has(name)) this.states.set(name, state);
  }

  private load(app: SynthesizedApp): void {
    for (const { stack, logicalId } of app.resourcesOfType('AWS::CloudWatch::Alarm')) {
      const p = stack.properties(logicalId);
      const name = stack.ref(logicalId);
      const metrics: MetricStat[] = [];
      let expression: AlarmDefinition['expression'];
      if (Array.isArray(p.Metrics)) {
        for (const m of p.Metrics as Array<Record<string, unknown>>) {
          const stat = m.MetricStat as { Metric: Record<string, unknown>; Period: number; Stat: string } | undefined;
          if (stat) metrics.push(metricStat(String(m.Id), stat.Metric, stat.Stat, Number(stat.Period)));
          else if (m.Expression && m.ReturnData !== false) expression = { id: String(m.Id), expression: String(m.Expression) };
        }
      } else {
        metrics.push(metricStat('m1', p, String(p.ExtendedStatistic ?? p.Statistic), Number(p.Period)));
      }
      const evaluationPeriods = Number(p.EvaluationPeriods);
      this.definitions.push({
        name,
        arn: alarmArn(app.env, name),
        description: p.AlarmDescription === undefined ? undefined : String(p.AlarmDescription),
        comparisonOperator: String(p.ComparisonOperator),
        threshold: Number(p.Threshold),
        evaluationPeriods,
        datapointsToAlarm: Number(p.DatapointsToAlarm ?? evaluationPeriods),
        treatMissingData: (p.TreatMissingData as AlarmDefinition['treatMissingData']) ?? 'missing',
        periodSeconds: Math.max(...metrics.map((m) => m.periodSeconds)),
        metrics,
        expression,
        alarmActions: ((p.AlarmActions as string[]) ?? []).map(String),
        okActions: ((p.OKActions as string[]) ?? []).map(String),
      });
      if (!COMPARE[String(p.ComparisonOperator)]) throw new Error(`alarm ${name}: the twin does not evaluate ${String(p.ComparisonOperator)}`);
      this.states.set(name, { value: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation', updatedAt: new Date().toISOString() });
    }
  }

  onStateChange(listener: AlarmStateChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Evaluates every alarm once a (template) minute, as CloudWatch does. */
  start(): void {
    this.timer = this.clock.every(60_000, () => this.evaluateAll());
  }

  stop(): void {
    if (this.timer) this.clock.cancel(this.timer);
  }

  evaluateAll(now = Date.now()): void {
    for (const alarm of this.definitions) this.evaluate(alarm, now);
  }

  /** The values of the alarm's last EvaluationPeriods periods (undefined where a period has no data). */
  window(alarm: AlarmDefinition, now = Date.now()): Array<{ start: number; value?: number }> {
    const periodMs = this.clock.realMs(alarm.periodSeconds * 1000);
    const current = this.store.bucketStart(now, periodMs);
    const starts = Array.from({ length: alarm.evaluationPeriods }, (_, i) => current - (alarm.evaluationPeriods - 1 - i) * periodMs);
    const from = starts[0];
    const series = new Map<string, Series>();
    for (const m of alarm.metrics) {
      const query = { namespace: m.namespace, metricName: m.metricName, dimensions: m.dimensions, stat: m.stat, periodMs: this.clock.realMs(m.periodSeconds * 1000) };
      series.set(m.id, this.store.query(query, from, now + 1));
    }
    const metricIds = alarm.metrics.map((m) => m.id);
    const result = alarm.expression ? evaluateExpression(alarm.expression.expression, series, metricIds, starts) : series.get(metricIds[0])!;
    const byStart = new Map(result.timestamps.map((t, i) => [t, result.values[i]]));
    return starts.map((start) => ({ start, value: byStart.get(start) }));
  }

  private evaluate(alarm: AlarmDefinition, now: number): void {
    const window = this.window(alarm, now);
    const [breaches, verb] = COMPARE[alarm.comparisonOperator];
    const present = window.filter((p) => p.value !== undefined);
    const previous = this.states.get(alarm.name)!;
    let value: AlarmStateValue;
    if (!present.length && (alarm.treatMissingData === 'missing' || alarm.treatMissingData === 'ignore')) {
      if (alarm.treatMissingData === 'ignore') return;
      value = 'INSUFFICIENT_DATA';
    } else {
      const missingBreach = alarm.treatMissingData === 'breaching';
      const breaching = window.filter((p) => (p.value === undefined ? missingBreach : breaches(p.value, alarm.threshold))).length;
      value = breaching >= alarm.datapointsToAlarm ? 'ALARM' : 'OK';
    }
    if (value === previous.value) return;
    const shown = present.map((p) => `${round(p.value!)} (${new Date(p.start).toISOString()})`).join(', ');
    const reason =
      value === 'INSUFFICIENT_DATA'
        ? `Insufficient Data: ${alarm.evaluationPeriods} datapoints were unknown.`
        : `Threshold Crossed: ${present.length} out of the last ${alarm.evaluationPeriods} datapoints [${shown}] ${value === 'ALARM' ? 'were' : 'were not'} ${verb} the threshold (${alarm.threshold}) (minimum ${alarm.datapointsToAlarm} datapoints for ${previous.value} -> ${value} transition).`;
    const state: AlarmState = { value, reason, updatedAt: new Date(now).toISOString() };
    this.states.set(alarm.name, state);
    this.timeline.add('alarm', `${alarm.name}: ${previous.value} -> ${value}`);
    const actions = value === 'ALARM' ? alarm.alarmActions : value === 'OK' ? alarm.okActions : [];
    for (const action of actions) this.timeline.add('alarm', `${alarm.name}: action ${action} (recorded only)`);
    for (const listener of this.listeners) listener(alarm, state, previous);
  }

  /** DescribeAlarms (the aws-sdk integration and the console): metric alarms filtered by name, prefix and state. */
  describeAlarms(input: { AlarmNames?: string[]; AlarmNamePrefix?: string; StateValue?: string }) {
    const alarms = this.definitions.filter(
      (a) =>
        (!input.AlarmNames || input.AlarmNames.includes(a.name)) &&
        (!input.AlarmNamePrefix || a.name.startsWith(input.AlarmNamePrefix)) &&
        (!input.StateValue || this.states.get(a.name)!.value === input.StateValue),
    );
    return {
      MetricAlarms: alarms.map((a) => {
        const state = this.states.get(a.name)!;
        const single = a.expression ? undefined : a.metrics[0];
        return {
          AlarmName: a.name,
          AlarmArn: a.arn,
          AlarmDescription: a.description,
          StateValue: state.value,
          StateReason: state.reason,
          StateUpdatedTimestamp: state.updatedAt,
          ComparisonOperator: a.comparisonOperator,
          Threshold: a.threshold,
          EvaluationPeriods: a.evaluationPeriods,
          DatapointsToAlarm: a.datapointsToAlarm,
          TreatMissingData: a.treatMissingData,
          AlarmActions: a.alarmActions,
          ...(single && {
            Namespace: single.namespace,
            MetricName: single.metricName,
            Dimensions: Object.entries(single.dimensions).map(([Name, Value]) => ({ Name, Value })),
            Period: single.periodSeconds,
            ...(single.stat.startsWith('p') ? { ExtendedStatistic: single.stat } : { Statistic: single.stat }),
          }),
          ...(a.expression && {
            Metrics: [
              { Id: a.expression.id, Expression: a.expression.expression, ReturnData: true },
              ...a.metrics.map((m) => ({
                Id: m.id,
                MetricStat: { Metric: { Namespace: m.namespace, MetricName: m.metricName, Dimensions: Object.entries(m.dimensions).map(([Name, Value]) => ({ Name, Value })) }, Period: m.periodSeconds, Stat: m.stat },
                ReturnData: false,
              })),
            ],
          }),
        };
      }),
      CompositeAlarms: [],
    };
  }
}

function metricStat(id: string, metric: Record<string, unknown>, stat: string, periodSeconds: number): MetricStat {
  const dimensions = Object.fromEntries(((metric.Dimensions as Array<{ Name: string; Value: unknown }>) ?? []).map((d) => [d.Name, String(d.Value)]));
  return { id, namespace: String(metric.Namespace), metricName: String(metric.MetricName), dimensions, stat: canonicalStat(stat), periodSeconds };
}

const round = (value: number) => Number(value.toPrecision(6));
