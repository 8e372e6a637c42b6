import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { IAlarmActionStrategy, NoopAlarmActionStrategy } from './alarm-actions';
import { Breach, Severity, ThresholdPair, thresholdsBySeverity } from './thresholds';

/** Who an alarm belongs to: every alarm name starts with the team and the model. */
export interface AlarmNaming {
  /** The team, the first part of the name: an on-call rota can route on the prefix. */
  readonly team: string;
  /** The model the alarm watches, the second part of the name. */
  readonly model: string;
}

/** The one naming function of the platform's alarms: `<team>-<model>-<what>-<severity>`, lowercase. */
export function alarmName(naming: AlarmNaming, what: string, severity: Severity): string {
  return `${naming.team}-${naming.model}-${what}-${severity}`.toLowerCase();
}

/** The team of a `MLOps/<team>` namespace, the convention of docs/architecture.md; undefined for other shapes. */
export function teamOfNamespace(namespace: string): string | undefined {
  return /^MLOps\/([a-z][a-z0-9-]*)$/.exec(namespace)?.[1];
}

/** Props that name alarms: an explicit team, or the `<team>` of a `MLOps/<team>` namespace. */
export interface AlarmNamingProps {
  /**
   * The team, the first part of every alarm name.
   * @default - the `<team>` of a `MLOps/<team>` metricsNamespace; required for any other namespace
   */
  readonly team?: string;
  /** CloudWatch namespace of the watched metrics; names the team when `team` is not set. */
  readonly metricsNamespace: string;
  /** The model the alarms watch, the second part of every alarm name. */
  readonly modelName: string;
}

/** The problem of props that cannot name their alarms (no team, and a namespace of another shape). */
export function alarmNamingProblems(props: AlarmNamingProps): string[] {
  return props.team === undefined && teamOfNamespace(props.metricsNamespace) === undefined
    ? [`team is required when metricsNamespace is not of the form MLOps/<team>, got: "${props.metricsNamespace}"`]
    : [];
}

/** The naming of props that passed `alarmNamingProblems`. */
export function alarmNamingOf(props: AlarmNamingProps): AlarmNaming {
  const team = props.team ?? teamOfNamespace(props.metricsNamespace);
  if (team === undefined) throw new Error(alarmNamingProblems(props).join('; '));
  return { team, model: props.modelName };
}

/** Props of {@link createThresholdAlarms}: one metric, its thresholds and how the alarms behave. */
export interface ThresholdAlarmsProps {
  /** The metric (or metric-math expression) the alarms watch. */
  readonly metric: cloudwatch.IMetric;
  /** The Warning and Critical levels; an alarm is created for each level that is set. */
  readonly thresholds: ThresholdPair;
  /** Team and model, the start of each alarm's name. */
  readonly naming: AlarmNaming;
  /** Kebab-case name of what is watched, e.g. `latency-p99`; part of the alarm name and construct id. */
  readonly what: string;
  /** Sentence describing the alarm; the threshold is appended. */
  readonly description: string;
  /**
   * Which side of the threshold is bad: `above` for latency and error rates, `below` for a metric that must not fall.
   * @default 'above'
   */
  readonly breach?: Breach;
  /**
   * How many of the metric's periods each evaluation looks at.
   * @default 3
   */
  readonly evaluationPeriods?: number;
  /**
   * How many of those periods must breach to fire ("M out of N"): fewer than evaluationPeriods tolerates a blip.
   * @default - evaluationPeriods
   */
  readonly datapointsToAlarm?: number;
  /**
   * How a period without data counts: not breaching by default, since no traffic is not an outage.
   * @default cloudwatch.TreatMissingData.NOT_BREACHING
   */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
  /**
   * What happens when an alarm changes state.
   * @default - no actions: the alarms show on the dashboard and emit state-change events
   */
  readonly actions?: IAlarmActionStrategy;
}

/** The Warning and Critical alarm of one metric, each present when its threshold is configured. */
export type SeverityAlarms = Partial<Record<Severity, cloudwatch.Alarm>>;

/**
 * Builds the Warning/Critical alarms of a metric from a `{ warning?, critical? }` pair, as cdk-monitoring-constructs
 * does from `Record<'Warning' | 'Critical', Threshold>`: one alarm per configured level, named by `alarmName`.
 */
export function createThresholdAlarms(scope: Construct, props: ThresholdAlarmsProps): SeverityAlarms {
  const alarms: SeverityAlarms = {};
  const above = (props.breach ?? 'above') === 'above';
  const evaluationPeriods = props.evaluationPeriods ?? 3;
  const actions = props.actions ?? new NoopAlarmActionStrategy();
  for (const [severity, threshold] of thresholdsBySeverity(props.thresholds)) {
    const alarm = new cloudwatch.Alarm(scope, `${pascal(props.what)}${severity}Alarm`, {
      alarmName: alarmName(props.naming, props.what, severity),
      alarmDescription: `${severity}: ${props.description} ${above ? '>=' : '<='} ${threshold}`,
      metric: props.metric,
      threshold,
      comparisonOperator: above
        ? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        : cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods,
      datapointsToAlarm: props.datapointsToAlarm ?? evaluationPeriods,
      treatMissingData: props.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    actions.addAlarmActions(alarm, severity);
    alarms[severity] = alarm;
  }
  return alarms;
}

/** CloudWatch's longest alarm period; a metric published less often than this is alarmed on over one day. */
export const MAX_ALARM_PERIOD = Duration.days(1);

function pascal(kebab: string): string {
  return kebab
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}
