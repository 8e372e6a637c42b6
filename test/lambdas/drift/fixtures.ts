import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DistinctReference } from '../../../lambdas/drift/statistics/ks-bins';
import type { SummaryReferences } from '../../../lambdas/drift/window-summary';

/** Reference results written by test/fixtures/drift/make_reference.py (scipy and numpy). */
const dir = join(__dirname, '../../fixtures/drift');
const load = <T>(file: string): T => JSON.parse(readFileSync(join(dir, file), 'utf8')) as T;

export interface KsCase {
  name: string;
  a: number[];
  b: number[];
  statistic: number;
  pValue: number;
}
export const ksFixture = load<{ cases: KsCase[] }>('ks.json');
export const kolmogorovFixture = load<{ cases: { n: number; x: number; sf: number; cdf: number }[] }>('kolmogorov.json');
export const psiFixture = load<{ epsilon: number; cases: { pair: string; bins: number; psi: number; edges: number[] }[] }>('psi.json');
export const chiSquaredFixture = load<{
  tests: { name: string; baselineCounts: Record<string, number>; currentCounts: Record<string, number>; statistic: number; dof: number; pValue: number }[];
  chi2Sf: { x: number; dof: number; sf: number }[];
}>('chi_squared.json');

/** |ours - reference| relative to the reference; an exact zero must be matched by a value below 1e-300. */
export function relativeError(ours: number, reference: number): number {
  if (reference === 0) return Math.abs(ours) < 1e-300 ? 0 : Infinity;
  return Math.abs(ours - reference) / Math.abs(reference);
}

/** A predicted-class drift case written by test/fixtures/drift/make_prediction_reference.py (scipy and numpy). */
export interface PredictionDriftCase {
  name: string;
  task: 'binary-classification' | 'multiclass-classification';
  classes?: (string | number)[];
  /** Training labels per class, as the baseline's `target.counts`. */
  targetCounts: Record<string, number>;
  /** Predicted labels in the window, per label (String(label)). */
  predictedCounts: Record<string, number>;
  categories: string[];
  baselineShares: number[];
  currentShares: number[];
  statistic: number;
  dof: number;
  pValue: number;
  psi: number;
  effectSize: number;
  drifted: boolean;
}
export const predictionDriftFixture = load<{ thresholds: { psiCritical: number; alpha: number; minEffectSize: number }; cases: PredictionDriftCase[] }>(
  'prediction_drift.json',
);
export const predictionDriftCase = (name: string): PredictionDriftCase => {
  const found = predictionDriftFixture.cases.find((c) => c.name === name);
  if (!found) throw new Error(`no prediction drift case "${name}" in prediction_drift.json`);
  return found;
};

/**
 * The references of `features` numeric features of `values` sorted baseline values each, all distinct, as a large
 * baseline's: only their sizes matter here, so the arrays stay zero (their pages are never written).
 */
export function largeReferences(features: number, values: number): SummaryReferences {
  const names = Array.from({ length: features }, (_, i) => `f${i}`);
  const distinct = new Map<string, DistinctReference>(names.map((name) => [name, { values: new Float64Array(values), cumulative: new Float64Array(values) }]));
  return {
    features: [
      ...names.map((name) => ({ type: 'numeric' as const, name, binEdges: [0], binShares: [1, 0], ksSample: new Float64Array(values) })),
      { type: 'categorical' as const, name: 'channel', counts: { 0: 10 } },
    ],
    distinct,
  };
}
