import type { Baseline } from '../../contracts/baseline';
import type { DriftThresholds } from './drift-config';
import { compareCategories, type CategoricalComparison } from './statistics/categorical';
import { hasNaN, ksTestSorted, sortedCopy, type KsResult } from './statistics/ks';
import { binCountsSorted, psiAgainstBins, quantileBinEdges, sharesOf, DEFAULT_PSI_BINS } from './statistics/psi';

/** What a numeric feature of the current data is compared with. */
export interface NumericReference {
  type: 'numeric';
  name: string;
  binEdges: readonly number[];
  binShares: readonly number[];
  /** Ascending values for KS: the baseline's stored sorted values in the job, the whole column in the CLI. */
  ksSample: Float64Array;
}

export interface CategoricalReference {
  type: 'categorical';
  name: string;
  counts: Record<string, number>;
}

export type FeatureReference = NumericReference | CategoricalReference;

export interface FeatureDrift {
  name: string;
  type: 'numeric' | 'categorical';
  /** Current values compared. */
  count: number;
  psi: number;
  /** 'critical' at psiCritical, 'warning' at psiWarning. */
  psiLevel: 'ok' | 'warning' | 'critical';
  ks?: KsResult;
  chiSquared?: CategoricalComparison['chiSquared'] & { effectSize: number };
  drifted: boolean;
  /** Why the feature counts as drifted, one line per rule that fired. */
  reasons: string[];
}

export interface DriftReport {
  features: FeatureDrift[];
  driftedFeatures: number;
  driftedFeatureShare: number;
  drifted: boolean;
  thresholds: DriftThresholds;
}

/** A feature or value the comparison cannot use; names the feature. */
export class DriftInputError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DriftInputError';
  }
}

const psiLevel = (psi: number, t: DriftThresholds): FeatureDrift['psiLevel'] =>
  psi >= t.psiCritical ? 'critical' : psi >= t.psiWarning ? 'warning' : 'ok';

/** The verdict on a numeric feature from its PSI and KS test: drifted at psiCritical, or when KS is significant with D >= minKsStatistic. */
export function judgeNumeric(name: string, count: number, psi: number, ks: KsResult, t: DriftThresholds): FeatureDrift {
  const reasons: string[] = [];
  if (psi >= t.psiCritical) reasons.push(`PSI ${psi.toFixed(4)} >= ${t.psiCritical}`);
  if (ks.pValue < t.alpha && ks.statistic >= t.minKsStatistic) {
    reasons.push(`KS p-value ${ks.pValue.toExponential(3)} < ${t.alpha} with D ${ks.statistic.toFixed(4)} >= ${t.minKsStatistic}`);
  }
  return { name, type: 'numeric', count, psi, psiLevel: psiLevel(psi, t), ks, drifted: reasons.length > 0, reasons };
}

function compareNumeric(reference: NumericReference, current: Float64Array, t: DriftThresholds): FeatureDrift {
  const { psi } = psiAgainstBins(reference.binEdges, reference.binShares, current);
  return judgeNumeric(reference.name, current.length, psi, ksTestSorted(reference.ksSample, current), t);
}

/** The verdict on one categorical distribution: a categorical feature, or the classes a model predicted. */
export interface CategoricalVerdict {
  /** Current values compared. */
  count: number;
  psi: number;
  psiLevel: FeatureDrift['psiLevel'];
  chiSquared: CategoricalComparison['chiSquared'] & { effectSize: number };
  drifted: boolean;
  /** Why the distribution counts as drifted, one line per rule that fired. */
  reasons: string[];
  /** The categories compared and their shares on both sides. */
  comparison: CategoricalComparison;
}

/**
 * PSI and the chi-squared test of current category counts against the baseline's; drifted when PSI reaches
 * psiCritical, or when chi-squared is significant with an effect size (Cohen's w) of at least minEffectSize.
 */
export function judgeCategories(reference: Record<string, number>, current: Record<string, number>, t: DriftThresholds): CategoricalVerdict {
  const comparison = compareCategories(reference, current);
  const count = Object.values(current).reduce((s, c) => s + c, 0);
  const effectSize = Math.sqrt(comparison.chiSquared.statistic / count);
  const reasons: string[] = [];
  if (comparison.psi >= t.psiCritical) reasons.push(`PSI ${comparison.psi.toFixed(4)} >= ${t.psiCritical}`);
  if (comparison.chiSquared.pValue < t.alpha && effectSize >= t.minEffectSize) {
    reasons.push(
      `chi-squared p-value ${comparison.chiSquared.pValue.toExponential(3)} < ${t.alpha} with effect size ${effectSize.toFixed(4)} >= ${t.minEffectSize}`,
    );
  }
  return {
    count,
    psi: comparison.psi,
    psiLevel: psiLevel(comparison.psi, t),
    chiSquared: { ...comparison.chiSquared, effectSize },
    drifted: reasons.length > 0,
    reasons,
    comparison,
  };
}

export function compareCategorical(reference: CategoricalReference, current: Record<string, number>, t: DriftThresholds): FeatureDrift {
  const { comparison: _shares, ...verdict } = judgeCategories(reference.counts, current, t);
  return { name: reference.name, type: 'categorical', ...verdict };
}

/** Current values of one feature: numbers for numeric features, category keys or codes for categorical ones. */
export type CurrentColumn =
  | { name: string; type: 'numeric'; values: ArrayLike<number> }
  | { name: string; type: 'categorical'; counts: Record<string, number> };

/** Per-feature verdicts and the dataset verdict (share of drifted features). */
export function compareFeatures(references: FeatureReference[], current: CurrentColumn[], t: DriftThresholds): DriftReport {
  const byName = new Map(current.map((c) => [c.name, c]));
  const features = references.map((reference) => {
    const column = byName.get(reference.name);
    if (!column) throw new DriftInputError(`feature "${reference.name}" has no current values`);
    if (column.type !== reference.type) {
      throw new DriftInputError(`feature "${reference.name}" is ${reference.type} in the baseline but ${column.type} in the current data`);
    }
    if (reference.type === 'numeric' && column.type === 'numeric') {
      const sorted = sortedCopy(column.values);
      if (sorted.length === 0) throw new DriftInputError(`feature "${reference.name}" has no current values`);
      if (hasNaN(sorted)) throw new DriftInputError(`feature "${reference.name}" has non-numeric current values`);
      return compareNumeric(reference, sorted, t);
    }
    if (reference.type === 'categorical' && column.type === 'categorical') return compareCategorical(reference, column.counts, t);
    throw new DriftInputError(`feature "${reference.name}": unexpected type`);
  });
  return datasetVerdict(features, t);
}

/** The dataset verdict over per-feature verdicts: drifted when the share of drifted features reaches driftedFeatureShare. */
export function datasetVerdict(features: FeatureDrift[], t: DriftThresholds): DriftReport {
  const driftedFeatures = features.filter((f) => f.drifted).length;
  const share = features.length === 0 ? 0 : driftedFeatures / features.length;
  return { features, driftedFeatures, driftedFeatureShare: share, drifted: share >= t.driftedFeatureShare, thresholds: t };
}

/**
 * References from a stored baseline (the drift job): its bins for PSI, and for KS the feature's ascending values
 * (`readSortedValues` in baseline-objects.ts: the sorted object of a formatVersion 2 baseline, a version 1's sample).
 */
export function referencesFromBaseline(baseline: Baseline, names: readonly string[], sortedValues: ReadonlyMap<string, Float64Array>): FeatureReference[] {
  return names.map((name) => {
    const feature = baseline.features.find((f) => f.name === name);
    if (!feature) throw new DriftInputError(`feature "${name}" is not in the baseline`);
    if (feature.type === 'categorical') return { type: 'categorical', name, counts: feature.counts };
    const ksSample = sortedValues.get(name);
    if (!ksSample) throw new DriftInputError(`feature "${name}" has no sorted baseline values`);
    return { type: 'numeric', name, binEdges: feature.binEdges, binShares: feature.binShares, ksSample };
  });
}

/** A numeric reference from a whole column (the CLI): quantile bins of all values and all values for KS. */
export function numericReferenceFromValues(name: string, values: ArrayLike<number>, bins = DEFAULT_PSI_BINS): NumericReference {
  const sorted = sortedCopy(values);
  if (sorted.length === 0) throw new DriftInputError(`feature "${name}" has no baseline values`);
  if (hasNaN(sorted)) throw new DriftInputError(`feature "${name}" has non-numeric baseline values`);
  const binEdges = quantileBinEdges(sorted, bins);
  return { type: 'numeric', name, binEdges, binShares: sharesOf(binCountsSorted(sorted, binEdges)), ksSample: sorted };
}
