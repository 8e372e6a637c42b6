import { z } from 'zod';

/** One datapoint extracted from a log line. */
export interface Datapoint {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly timestamp: number;
  readonly value: number;
  readonly unit?: string;
}

const emfSchema = z.object({
  _aws: z.object({
    Timestamp: z.number(),
    CloudWatchMetrics: z.array(
      z.object({
        Namespace: z.string(),
        Dimensions: z.array(z.array(z.string())),
        Metrics: z.array(z.object({ Name: z.string(), Unit: z.string().optional() }).loose()),
      }),
    ),
  }),
});

/**
 * The datapoints of a CloudWatch embedded metric format log line
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
 * every metric once per dimension set, values from the root (a number or an array of numbers). Lines that are not
 * EMF give no datapoints; an EMF line with a missing dimension value or metric value drops that metric, as CloudWatch does.
 */
export function datapointsOfLogLine(line: string): Datapoint[] {
  if (!line.includes('"_aws"')) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(line.slice(line.indexOf('{')));
  } catch {
    return [];
  }
  const emf = emfSchema.safeParse(parsed);
  if (!emf.success) return [];
  const root = parsed as Record<string, unknown>;
  const datapoints: Datapoint[] = [];
  for (const directive of emf.data._aws.CloudWatchMetrics) {
    for (const metric of directive.Metrics) {
      const raw = root[metric.Name];
      const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      if (!values.length) continue;
      for (const set of directive.Dimensions) {
        if (set.some((key) => typeof root[key] !== 'string')) continue;
        const dimensions = Object.fromEntries(set.map((key) => [key, root[key] as string]));
        for (const value of values) {
          datapoints.push({ namespace: directive.Namespace, metricName: metric.Name, dimensions, timestamp: emf.data._aws.Timestamp, value, unit: metric.Unit });
        }
      }
    }
  }
  return datapoints;
}
