import { Metrics } from '@aws-lambda-powertools/metrics';
import { requiredEnv } from '../shared/env';

/** The drift metrics' publisher (METRICS_NAMESPACE), for the functions that decide. */
export function driftMetrics(): Metrics {
  const metrics = new Metrics({ namespace: requiredEnv('METRICS_NAMESPACE') });
  // The alarms select on Model (and Feature) alone, so the implicit "service" dimension must not be added.
  metrics.clearDefaultDimensions();
  return metrics;
}
