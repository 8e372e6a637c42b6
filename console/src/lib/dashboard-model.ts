import { type MetricSeries, parseMetricRows, type Series } from './metric-rows';
import type { AlarmView, DashboardWidget } from '../../../contracts/twin-api';

/** What a dashboard widget asks to be drawn, decided from its CloudWatch properties alone (no DOM, no fetching). */

export interface Annotation {
  value: number;
  label?: string;
  color?: string;
}

export type WidgetPlan =
  | { kind: 'chart'; title: string; view: 'timeSeries' | 'singleValue'; series: Series[]; annotations: Annotation[]; stacked: boolean; leftLabel?: string; error?: string }
  | { kind: 'alarms'; title: string; alarmNames: string[] }
  | { kind: 'text'; markdown: string }
  | { kind: 'unsupported'; title: string; reason: string };

/** `arn:aws:cloudwatch:<region>:<account>:alarm:<name>` -> `<name>`; a bare name stays as it is. */
export const alarmNameOf = (arnOrName: string): string => {
  const marker = ':alarm:';
  const at = arnOrName.indexOf(marker);
  return at >= 0 ? arnOrName.slice(at + marker.length) : arnOrName;
};

const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const asNumber = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const asRecord = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {});


/** The series an alarm watches, for CloudWatch's AlarmWidget (a metric widget with `annotations.alarms`). */
function alarmSeries(alarm: AlarmView, index: number): MetricSeries | undefined {
  if (!alarm.namespace || !alarm.metricName) return undefined;
  return {
    kind: 'metric',
    id: `alarm${index + 1}`,
    label: alarm.metricName,
    yAxis: 'left',
    visible: true,
    namespace: alarm.namespace,
    metricName: alarm.metricName,
    dimensions: { ...alarm.dimensions },
    stat: 'Average',
    period: 60,
  };
}

export function planWidget(widget: DashboardWidget, alarms: readonly AlarmView[]): WidgetPlan {
  const properties = asRecord(widget.properties);
  const title = asString(properties.title) ?? '';
  switch (widget.type) {
    case 'text':
      return { kind: 'text', markdown: asString(properties.markdown) ?? '' };
    case 'alarm':
      return { kind: 'alarms', title: title || 'Alarms', alarmNames: asArray(properties.alarms).filter((a): a is string => typeof a === 'string').map(alarmNameOf) };
    case 'metric':
      return planMetricWidget(title, properties, alarms);
    default:
      return { kind: 'unsupported', title: title || widget.type, reason: `${widget.type} widgets are not drawn by the local console` };
  }
}

function planMetricWidget(title: string, properties: Record<string, unknown>, alarms: readonly AlarmView[]): WidgetPlan {
  const view = properties.view === 'singleValue' ? ('singleValue' as const) : ('timeSeries' as const);
  const annotations = asRecord(properties.annotations);
  const horizontal: Annotation[] = asArray(annotations.horizontal)
    .map(asRecord)
    .flatMap((a) => (typeof a.value === 'number' ? [{ value: a.value, label: asString(a.label), color: asString(a.color) }] : []));
  const leftAxis = asRecord(asRecord(properties.yAxis).left);
  const base = { kind: 'chart' as const, title, view, stacked: properties.stacked === true, leftLabel: asString(leftAxis.label), annotations: horizontal };

  const alarmNames = asArray(annotations.alarms).filter((a): a is string => typeof a === 'string').map(alarmNameOf);
  if (alarmNames.length > 0) {
    const watched = alarmNames.map((name) => alarms.find((alarm) => alarm.alarmName === name));
    const series = watched.flatMap((alarm, index) => (alarm ? (alarmSeries(alarm, index) ?? []) : []));
    const thresholds = watched.flatMap((alarm) => (alarm && typeof alarm.threshold === 'number' ? [{ value: alarm.threshold, label: `${alarm.alarmName} threshold`, color: '#d62728' }] : []));
    return {
      ...base,
      title: title || alarmNames.join(', '),
      series,
      annotations: [...horizontal, ...thresholds],
      error: series.length === 0 ? `alarm ${alarmNames.join(', ')} is not known to the twin` : undefined,
    };
  }
  try {
    const series = parseMetricRows(asArray(properties.metrics).map(asArray), { stat: asString(properties.stat), period: asNumber(properties.period) });
    return { ...base, series };
  } catch (err) {
    return { ...base, series: [], error: (err as Error).message };
  }
}

/**
 * A `/twin/metrics` query for each plain metric of a widget (hidden ones included: expressions need them).
 * `minimumPeriod` is the dashboard's automatic period for the time range: like CloudWatch's `periodOverride: auto`
 * it coarsens a period too fine for the range, and leaves coarser ones (runs per hour) as defined.
 */
export function metricQueries(series: readonly Series[], minimumPeriod = 0) {
  return series
    .filter((s): s is MetricSeries => s.kind === 'metric')
    .map((s) => ({ id: s.id, namespace: s.namespace, metricName: s.metricName, dimensions: s.dimensions, stat: s.stat, period: Math.max(minimumPeriod, s.period) }));
}
