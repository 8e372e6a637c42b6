import type { DriftJobResult } from './drift-job';

/**
 * What a drift run's step hands the state machine: the verdict without the per-feature report, which is in S3 at
 * `reportUri`. A state's output is limited to 256 KiB, and the report of a model of many features (with its
 * predicted-class shares) can outgrow it.
 */
export function stepResult(result: DriftJobResult) {
  if (result.status !== 'evaluated') return result;
  const { report, ...verdict } = result;
  return { ...verdict, drifted: report.drifted, driftedFeatures: report.driftedFeatures, driftedFeatureShare: report.driftedFeatureShare, predictionDrifted: report.prediction?.drifted };
}
