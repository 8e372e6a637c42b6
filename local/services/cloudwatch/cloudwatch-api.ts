import { z } from 'zod';
import { AwsServiceError, type JsonOperation } from '../../http/twin-server';
import type { Alarms } from './alarms';
import { canonicalStat, type MetricStore, UnsupportedStatisticError } from './metric-store';

/** GetMetricData's own limits: at most 500 queries, and an Id that starts with a lowercase letter. */
const MAX_QUERIES = 500;

const dimensionSchema = z.object({ Name: z.string().min(1), Value: z.string() });
const getMetricDataSchema = z.object({
  // The AWS JSON protocol sends timestamps as epoch seconds.
  StartTime: z.number(),
  EndTime: z.number(),
  ScanBy: z.enum(['TimestampDescending', 'TimestampAscending']).optional(),
  MetricDataQueries: z
    .array(
      z.object({
        Id: z.string().regex(/^[a-z][a-zA-Z0-9_]*$/, 'Id must start with a lowercase letter and hold letters, digits and _'),
        Label: z.string().optional(),
        ReturnData: z.boolean().optional(),
        MetricStat: z.object({
          Metric: z.object({ Namespace: z.string().min(1), MetricName: z.string().min(1), Dimensions: z.array(dimensionSchema).optional() }),
          Period: z.number().int().positive(),
          Stat: z.string().min(1),
        }),
      }),
    )
    .min(1)
    .max(MAX_QUERIES),
});

const describeAlarmsSchema = z.object({
  AlarmNames: z.array(z.string()).max(100).optional(),
  AlarmNamePrefix: z.string().optional(),
  StateValue: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']).optional(),
});

/**
 * The CloudWatch API (AWS JSON 1.0, target `GraniteServiceVersion20100801`) that functions call through the unchanged
 * SDK: GetMetricData over the twin's metric store (MetricStat queries; a period is real seconds, like a function's
 * own time windows) and DescribeAlarms of the template's alarms.
 */
export function cloudWatchOperations(metrics: MetricStore, alarms: Alarms): Record<string, JsonOperation> {
  return {
    GetMetricData: async (raw) => {
      const input = parse(getMetricDataSchema, raw);
      const start = input.StartTime * 1000;
      const end = input.EndTime * 1000;
      const descending = (input.ScanBy ?? 'TimestampDescending') === 'TimestampDescending';
      const results = input.MetricDataQueries.filter((q) => q.ReturnData !== false).map((q) => {
        const { Metric, Period, Stat } = q.MetricStat;
        let stat: string;
        try {
          stat = canonicalStat(Stat);
          const series = metrics.query(
            {
              namespace: Metric.Namespace,
              metricName: Metric.MetricName,
              dimensions: Object.fromEntries((Metric.Dimensions ?? []).map((d) => [d.Name, d.Value])),
              stat,
              periodMs: Period * 1000,
            },
            start,
            end,
          );
          const order = series.timestamps.map((_, i) => i);
          if (descending) order.reverse();
          return {
            Id: q.Id,
            Label: q.Label ?? Metric.MetricName,
            Timestamps: order.map((i) => series.timestamps[i] / 1000),
            Values: order.map((i) => series.values[i]),
            StatusCode: 'Complete',
          };
        } catch (err) {
          if (err instanceof UnsupportedStatisticError) throw new AwsServiceError('InvalidParameterValueException', `${q.Id}: ${err.message}`);
          throw err;
        }
      });
      return { MetricDataResults: results, Messages: [] };
    },
    DescribeAlarms: async (raw) => {
      const { MetricAlarms } = alarms.describeAlarms(parse(describeAlarmsSchema, raw));
      // The JSON protocol carries timestamps as epoch seconds.
      return { MetricAlarms: MetricAlarms.map((a) => ({ ...a, StateUpdatedTimestamp: Date.parse(a.StateUpdatedTimestamp) / 1000 })), CompositeAlarms: [] };
    },
  };
}

function parse<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new AwsServiceError('InvalidParameterValueException', parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; '));
  }
  return parsed.data;
}
