import { kolmogorovSf } from './kolmogorov';
import { sortFloat64 } from './sort';

/** The two-sample Kolmogorov-Smirnov test of two numeric samples. */
export interface KsResult {
  /** D = sup |F1(x) - F2(x)| over the pooled sample. */
  statistic: number;
  /** Two-sided asymptotic p-value, as `scipy.stats.ks_2samp(a, b, method="asymp")`. */
  pValue: number;
  /** The effective sample size round(m n / (m + n)) the p-value is computed for. */
  effectiveN: number;
}

/** Ascending copy of the values as a Float64Array (NaN last). */
export const sortedCopy = (values: ArrayLike<number>): Float64Array => sortFloat64(values);

/** Round half to even, as numpy's round. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * KS statistic of two ascending samples in one merge pass. At each distinct value v both empirical CDFs
 * count the values <= v (scipy's searchsorted(side='right')), so ties move both CDFs together, and the
 * difference is formed as count1/n1 - count2/n2 exactly as scipy does, so D matches to the last bit.
 *
 * The main loop takes one value per step without a data-dependent branch (the samples interleave at random, so a
 * branch on which side is smaller would be mispredicted about every other step): it advances the side(s) holding the
 * smallest value v and looks at the next smallest value; only when that differs from v are both CDFs past every copy
 * of v, and D is updated. It stops one value short of either end (so the look-ahead stays in bounds) and the tail
 * loop, which consumes whole groups of equal values, finishes.
 */
function ksStatisticSorted(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let maxDiff = 0;
  let minDiff = 0;
  let x = a[0];
  let y = b[0];
  while (i < n1 - 1 && j < n2 - 1) {
    const v = Math.min(x, y);
    i += +(x <= y);
    j += +(y <= x);
    x = a[i];
    y = b[j];
    if (Math.min(x, y) !== v) {
      const diff = i / n1 - j / n2;
      if (diff > maxDiff) maxDiff = diff;
      if (diff < minDiff) minDiff = diff;
    }
  }
  // From a group boundary or from inside a group of equal values: each step consumes the rest of the group.
  while (i < n1 && j < n2) {
    const v = a[i] <= b[j] ? a[i] : b[j];
    while (i < n1 && a[i] === v) i++;
    while (j < n2 && b[j] === v) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxDiff) maxDiff = diff;
    else if (diff < minDiff) minDiff = diff;
  }
  // Past the end of one sample the difference only shrinks towards 0.
  return Math.max(maxDiff, Math.min(-minDiff, 1));
}

/** The two-sided asymptotic p-value of D for sample sizes n1 and n2 (scipy's `method="asymp"`). */
export function ksPValue(statistic: number, n1: number, n2: number): { pValue: number; effectiveN: number } {
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  // Only two single-value samples give m n / (m + n) = 0.5, which rounds to 0 (scipy then returns NaN);
  // we use n = 1 there so the p-value stays defined.
  const effectiveN = Math.max(1, roundHalfEven((m * n) / (m + n)));
  const p = kolmogorovSf(effectiveN, statistic);
  return { pValue: Math.min(Math.max(p, 0), 1), effectiveN };
}

/**
 * Whether an ascending sample holds NaN: the sort puts NaN last (and a NaN with its sign bit set, which JSON never
 * gives, first); a NaN would never compare equal in the merge.
 */
export const hasNaN = (sorted: Float64Array): boolean => Number.isNaN(sorted[0]) || Number.isNaN(sorted[sorted.length - 1]);

/** Two-sample two-sided Kolmogorov-Smirnov test of two ascending samples. */
export function ksTestSorted(a: Float64Array, b: Float64Array): KsResult {
  if (a.length === 0 || b.length === 0) throw new RangeError('the KS test needs two non-empty samples');
  if (hasNaN(a) || hasNaN(b)) throw new RangeError('the KS test got NaN values');
  const statistic = ksStatisticSorted(a, b);
  return { statistic, ...ksPValue(statistic, a.length, b.length) };
}

/** Two-sample two-sided Kolmogorov-Smirnov test; the samples may be in any order. */
export const ksTest = (a: ArrayLike<number>, b: ArrayLike<number>): KsResult => ksTestSorted(sortedCopy(a), sortedCopy(b));

/**
 * The same test against a reference that is ascending already (a stored baseline's sorted values): only `values`,
 * in any order, is sorted. The result is ksTest's, bit for bit.
 */
export const ksTestPresorted = (sortedReference: Float64Array, values: ArrayLike<number>): KsResult =>
  ksTestSorted(sortedReference, sortedCopy(values));
