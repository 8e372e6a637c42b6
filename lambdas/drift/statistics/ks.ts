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

/** Window values between the points the pruned walk evaluates first (see ksStatisticSorted). */
const BLOCK = 64;

/** The first index from `from` whose value is above v in an ascending array (its length if none), by galloping. */
function upperBound(sorted: Float64Array, v: number, from: number): number {
  const n = sorted.length;
  if (from >= n || sorted[from] > v) return from;
  let lo = from; // sorted[lo] <= v
  let step = 1;
  let hi = from + 1;
  while (hi < n && sorted[hi] <= v) {
    lo = hi;
    step *= 2;
    hi = lo + step;
  }
  if (hi > n) hi = n;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= v) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * max |i/n1 - j/n2| over the distinct values of a[i0, i1) and b[j0, j1) merged (all above the values before them),
 * i and j counting the values <= each, given d so far: scipy's searchsorted(side='right') on both sides, so ties move
 * both CDFs together.
 */
function walkBlock(a: Float64Array, b: Float64Array, i0: number, i1: number, j0: number, j1: number, d: number): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = i0;
  let j = j0;
  while (i < i1 || j < j1) {
    const v = i < i1 ? (j < j1 && b[j] < a[i] ? b[j] : a[i]) : b[j];
    while (i < i1 && a[i] === v) i++;
    while (j < j1 && b[j] === v) j++;
    const diff = i / n1 - j / n2;
    if (diff > d) d = diff;
    else if (-diff > d) d = -diff;
  }
  return d;
}

/**
 * KS statistic of two ascending samples: D = max |i/n1 - j/n2| over the distinct values v of the pooled sample, i and j
 * counting the values <= v, formed as count1/n1 - count2/n2 exactly as scipy does, so D matches to the last bit.
 *
 * Pruned rather than a merge of every value (which costs ~2 (n1 + n2) dependent steps): every BLOCK-th value of b
 * (the window) is located in a by galloping search, and the difference evaluated there (they are pooled values, so
 * each is a difference the full merge forms). Between two such points i and j only grow, so every difference inside
 * lies between i_start/n1 - j_end/n2 and i_end/n1 - j_start/n2 (division and subtraction round monotonically, so
 * this holds for the rounded values too); only a block whose bounds could beat the largest |difference| found is
 * merged value by value. Near the supremum that is a few blocks; elsewhere the difference is far below it.
 */
function ksStatisticSorted(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  const blocks = Math.ceil(n2 / BLOCK);
  const iAt = new Int32Array(blocks + 1);
  const jAt = new Int32Array(blocks + 1);
  let d = 0;
  let i = 0;
  let j = 0;
  for (let k = 1; k <= blocks; k++) {
    // The block's last window value and every copy of it; the points past b's end only shrink towards 0.
    const v = b[Math.min(j + BLOCK, n2) - 1];
    j = upperBound(b, v, Math.min(j + BLOCK, n2) - 1);
    i = upperBound(a, v, i);
    iAt[k] = i;
    jAt[k] = j;
    const diff = i / n1 - j / n2;
    if (diff > d) d = diff;
    else if (-diff > d) d = -diff;
    if (j === n2) {
      for (let rest = k + 1; rest <= blocks; rest++) {
        iAt[rest] = i;
        jAt[rest] = j;
      }
      break;
    }
  }
  for (let k = 1; k <= blocks; k++) {
    const upper = iAt[k] / n1 - jAt[k - 1] / n2;
    const lower = iAt[k - 1] / n1 - jAt[k] / n2;
    if (upper > d || -lower > d) d = walkBlock(a, b, iAt[k - 1], iAt[k], jAt[k - 1], jAt[k], d);
  }
  return d;
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
