import { chiSquaredGoodnessOfFit, type ChiSquaredResult } from './chi-squared';
import { PSI_EPSILON, psiFromShares, sharesOf } from './psi';

/** Bucket for category values the baseline never saw. */
const OTHER_CATEGORY = '__other__';

/** A categorical feature's current category mix against its baseline: chi-squared test and PSI over the categories. */
export interface CategoricalComparison {
  chiSquared: ChiSquaredResult;
  psi: number;
  /** Category keys in the order of the share vectors (baseline categories sorted, then "other" if seen). */
  categories: string[];
  baselineShares: number[];
  currentShares: number[];
}

/** Counts of each distinct value, keyed by the value's string form (as the baseline stores them). */
export function categoryCounts(values: ArrayLike<number>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < values.length; i++) countCategory(counts, values[i]);
  return counts;
}

/** Counts one more `value` in `counts`, under categoryCounts' key. */
export function countCategory(counts: Record<string, number>, value: number): void {
  const key = String(value);
  counts[key] = (counts[key] ?? 0) + 1;
}

/**
 * Compares current category counts with the baseline's. Values unseen in the baseline are pooled into an
 * "other" bucket, which takes part only when it is non-empty. For the chi-squared test every baseline share
 * is floored at PSI_EPSILON and the shares renormalised, so the expected count of "other" is small but
 * positive: a category that appears from nowhere gives a large statistic instead of a division by zero.
 */
export function compareCategories(baselineCounts: Record<string, number>, currentCounts: Record<string, number>): CategoricalComparison {
  const categories = Object.keys(baselineCounts).sort();
  const known = new Set(categories);
  let other = 0;
  for (const [key, count] of Object.entries(currentCounts)) if (!known.has(key)) other += count;
  const observed = categories.map((key) => currentCounts[key] ?? 0);
  const baseline = categories.map((key) => baselineCounts[key]);
  if (other > 0) {
    categories.push(OTHER_CATEGORY);
    observed.push(other);
    baseline.push(0);
  }
  const baselineShares = sharesOf(baseline);
  const currentShares = sharesOf(observed);
  const floored = baselineShares.map((s) => Math.max(s, PSI_EPSILON));
  const flooredTotal = floored.reduce((s, v) => s + v, 0);
  const chiSquared = chiSquaredGoodnessOfFit(
    observed,
    floored.map((s) => s / flooredTotal),
  );
  return { chiSquared, psi: psiFromShares(baselineShares, currentShares), categories, baselineShares, currentShares };
}
