import type { Datapoint } from './emf';

export interface MetricQuery {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  /** Sum, Average, Minimum, Maximum, SampleCount, or a percentile pNN / pNN.N. */
  readonly stat: string;
  /** Bucket length in real milliseconds. */
  readonly periodMs: number;
}

/** Aggregated values at bucket start times (real epoch ms), oldest first; buckets without data are absent. */
export interface Series {
  readonly timestamps: number[];
  readonly values: number[];
}

const RETENTION_MS = 6 * 3_600_000;

const metricKey = (namespace: string, name: string, dimensions: Record<string, string>) =>
  JSON.stringify([namespace, name, Object.entries(dimensions).sort(([a], [b]) => (a < b ? -1 : 1))]);

/**
 * The twin's CloudWatch metrics: datapoints by namespace, name and exact dimension set (as CloudWatch keys metrics),
 * aggregated on demand into period buckets. Buckets are aligned to `origin` so that shortened periods (the twin's
 * clock) line up across metrics.
 */
export class MetricStore {
  private readonly metrics = new Map<string, Datapoint[]>();

  constructor(private readonly origin = 0) {}

  put(datapoint: Datapoint): void {
    const key = metricKey(datapoint.namespace, datapoint.metricName, datapoint.dimensions);
    let points = this.metrics.get(key);
    if (!points) this.metrics.set(key, (points = []));
    points.push(datapoint);
    // Bounded memory: keep the last RETENTION_MS before the newest datapoint of the metric.
    const cutoff = datapoint.timestamp - RETENTION_MS;
    while (points.length && points[0].timestamp < cutoff) points.shift();
  }

  /** Start of the bucket holding `timestamp`. */
  bucketStart(timestamp: number, periodMs: number): number {
    return this.origin + Math.floor((timestamp - this.origin) / periodMs) * periodMs;
  }

  query(query: MetricQuery, start: number, end: number): Series {
    const points = this.metrics.get(metricKey(query.namespace, query.metricName, query.dimensions)) ?? [];
    const buckets = new Map<number, number[]>();
    for (const point of points) {
      if (point.timestamp < start || point.timestamp >= end) continue;
      const bucket = this.bucketStart(point.timestamp, query.periodMs);
      let values = buckets.get(bucket);
      if (!values) buckets.set(bucket, (values = []));
      values.push(point.value);
    }
    const timestamps = [...buckets.keys()].sort((a, b) => a - b);
    return { timestamps, values: timestamps.map((t) => aggregate(buckets.get(t)!, query.stat)) };
  }
}

export class UnsupportedStatisticError extends Error {
  constructor(stat: string) {
    super(`the twin does not compute the statistic "${stat}" (Sum, Average, Minimum, Maximum, SampleCount, pNN)`);
    this.name = 'UnsupportedStatisticError';
  }
}

function aggregate(values: number[], stat: string): number {
  switch (stat) {
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
    case 'SampleCount':
      return values.length;
  }
  const percentile = /^p(\d{1,2}(?:\.\d+)?|100)$/.exec(stat);
  if (!percentile) throw new UnsupportedStatisticError(stat);
  // Nearest rank: the smallest value with at least p% of the values at or below it.
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((Number(percentile[1]) / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** CloudWatch spells statistics in several ways (`p99`, `P99`, `avg` in dashboards); this is the canonical form. */
export function canonicalStat(stat: string): string {
  const lower = stat.toLowerCase();
  const named: Record<string, string> = { sum: 'Sum', average: 'Average', avg: 'Average', minimum: 'Minimum', min: 'Minimum', maximum: 'Maximum', max: 'Maximum', samplecount: 'SampleCount', n: 'SampleCount' };
  return named[lower] ?? (lower.startsWith('p') ? lower : stat);
}
