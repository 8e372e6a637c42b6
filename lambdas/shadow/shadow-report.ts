import type { ShadowRecord, ShadowReport } from '../../contracts/shadow-test';
import { psiTest } from '../drift/statistics/psi';
import { quantileSorted } from '../drift/statistics/quantiles';

/**
 * One window's comparison of the shadow's answers with the live ones (pure, so the figures can be checked against an
 * independent computation): label agreement and the mean absolute difference over rows both answered, PSI of the
 * shadow's predictions with the live ones as the reference (the drift job's binning: live quantile bins), and the
 * shadow's latency per copied request (each request counted once, whatever its rows).
 */
export function shadowReport(
  records: readonly ShadowRecord[],
  window: { start: Date; end: Date },
  versions: { liveVersion: number | null; shadowVersion: number },
): ShadowReport {
  const answered = records.filter((r): r is ShadowRecord & { shadow: NonNullable<ShadowRecord['shadow']> } => r.shadow !== undefined);
  const labelled = answered.filter((r) => r.live.label !== undefined && r.shadow.label !== undefined);
  const latencies = new Map<string, number>();
  for (const r of answered) latencies.set(r.requestId, r.latencyMs);
  const sortedLatencies = Float64Array.from(latencies.values()).sort();
  return {
    liveVersion: versions.liveVersion,
    shadowVersion: versions.shadowVersion,
    windowStart: window.start.toISOString(),
    windowEnd: window.end.toISOString(),
    rows: records.length,
    errors: records.length - answered.length,
    agreementRate: labelled.length ? labelled.filter((r) => String(r.live.label) === String(r.shadow.label)).length / labelled.length : null,
    meanAbsoluteDifference: answered.length ? answered.reduce((sum, r) => sum + Math.abs(r.live.prediction - r.shadow.prediction), 0) / answered.length : null,
    predictionPsi: answered.length
      ? psiTest(
          answered.map((r) => r.live.prediction),
          answered.map((r) => r.shadow.prediction),
        ).psi
      : null,
    latencyP50Ms: sortedLatencies.length ? quantileSorted(sortedLatencies, 0.5) : null,
    latencyP99Ms: sortedLatencies.length ? quantileSorted(sortedLatencies, 0.99) : null,
  };
}
