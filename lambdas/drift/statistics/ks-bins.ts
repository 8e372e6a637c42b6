import { ksPValue, type KsResult } from './ks';

/**
 * An exact, mergeable summary of a sample for the two-sample KS test against a fixed, ascending reference.
 *
 * Let u_0 < u_1 < ... < u_{n-1} be the reference's distinct values. A window value falls in exactly one of 2n + 1
 * bins: bin 2k + 1 holds the values equal to u_k, bin 2k the values strictly between u_{k-1} and u_k (bin 0 below
 * u_0, bin 2n above u_{n-1}). Counts of several parts of a window add up to the counts of the whole window.
 *
 * D is recoverable exactly from the counts. The two-sample test (ksTestSorted) takes the largest |i/n1 - j/n2| over
 * the distinct values of the pooled sample, i and j counting the reference and the window values <= it. Inside the gap
 * (u_{k-1}, u_k) i is constant and j grows, so the difference only falls: its largest value there is never above the
 * one at u_{k-1} (a pooled value; below u_0 it is negative, under the 0 D starts from), and its smallest is at the gap's last window value, where j counts every window
 * value up to the gap's end. So the largest and smallest differences are among the values at each u_k (i and j
 * through bin 2k + 1) and at each non-empty gap's end (j through bin 2k): the same i, j, n1 and n2, the same floating
 * point expression, hence the same D to the last bit, and the same p-value. (Points the merge skips after one sample
 * ran out lie between those extremes and 0, so evaluating them changes nothing.)
 */

/** The distinct values of an ascending reference and how many reference values are <= each. */
export interface DistinctReference {
  readonly values: Float64Array;
  /** cumulative[k] = reference values <= values[k]; the last is the reference's length. */
  readonly cumulative: Float64Array;
}

/** The distinct values of an ascending sample (the baseline's sorted values) with their cumulative counts. */
export function distinctReference(sorted: Float64Array): DistinctReference {
  // Two passes into typed arrays: a baseline of 10^6 values through growing JS arrays costs tens of milliseconds.
  let distinct = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct++;
  const values = new Float64Array(distinct);
  const cumulative = new Float64Array(distinct);
  let k = -1;
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) values[++k] = sorted[i];
    cumulative[k] = i + 1;
  }
  return { values, cumulative };
}

/**
 * The 2n + 1 bin counts of an ascending part of the window (see above), in one merge pass: addKsBinCounts into new
 * bins.
 */
export function ksBinCounts(reference: DistinctReference, sortedPart: Float64Array): Float64Array {
  const counts = new Float64Array(2 * reference.values.length + 1);
  addKsBinCounts(counts, reference, sortedPart);
  return counts;
}

/**
 * Adds the bin counts of an ascending part of the window into `total` (the reference's 2n + 1 bins), in one merge
 * pass: a running summary counts each part straight into its bins, with no array of the part's own. Each step either
 * passes a reference value or counts a window value, chosen without a data-dependent branch (the two interleave at
 * random, so a branch would be mispredicted about every other step): the count is added as 0 when the reference moves
 * on.
 */
export function addKsBinCounts(total: Float64Array, reference: DistinctReference, sortedPart: Float64Array): void {
  const u = reference.values;
  const m = u.length;
  if (total.length !== 2 * m + 1) throw new RangeError(`KS bin counts of different references: ${total.length} and ${2 * m + 1} bins`);
  const n = sortedPart.length;
  let i = 0;
  let k = 0;
  while (i < n && k < m) {
    const v = sortedPart[i];
    const r = u[k];
    const referenceFirst = +(r < v);
    total[2 * k + +(r === v)] += 1 - referenceFirst;
    k += referenceFirst;
    i += 1 - referenceFirst;
  }
  // Above the largest reference value.
  total[2 * m] += n - i;
}

/** Adds `part`'s counts into `total` (the same reference's bins). */
export function addBinCounts(total: Float64Array, part: ArrayLike<number>): void {
  if (total.length !== part.length) throw new RangeError(`KS bin counts of different references: ${total.length} and ${part.length} bins`);
  for (let b = 0; b < part.length; b++) total[b] += part[b];
}

/** Reference values per block in ksTestFromBinCounts' pruned walk. */
const BLOCK = 32;

/**
 * The KS test of the window whose bin counts are `counts` against the reference: ksTestSorted's D and p.
 *
 * The differences are formed at the same points as there (see above), but block by block: BLOCK reference values and
 * their gaps are summed first, and a block is evaluated point by point only when its bounds (i and j only grow inside
 * it, and division and subtraction round monotonically, so every difference inside lies between
 * i_start/n1 - j_end/n2 and i_end/n1 - j_start/n2) could beat the largest |difference| so far.
 */
export function ksTestFromBinCounts(reference: DistinctReference, counts: ArrayLike<number>): KsResult {
  const { values: u, cumulative } = reference;
  const m = u.length;
  if (counts.length !== 2 * m + 1) throw new RangeError(`expected ${2 * m + 1} KS bin counts, got ${counts.length}`);
  const n1 = cumulative[m - 1];
  let n2 = 0;
  for (let b = 0; b < counts.length; b++) n2 += counts[b];
  if (n1 === 0 || n2 === 0) throw new RangeError('the KS test needs two non-empty samples');
  let d = 0;
  let j = 0;
  // Block [k0, k1): the gaps below u_k0 .. u_(k1-1) and those values; the last block also holds the gap above u_(m-1).
  for (let k0 = 0; k0 <= m; k0 += BLOCK) {
    const k1 = Math.min(k0 + BLOCK, m + 1);
    const binEnd = Math.min(2 * k1, 2 * m + 1);
    let jEnd = j;
    for (let b = 2 * k0; b < binEnd; b++) jEnd += counts[b];
    const iStart = k0 === 0 ? 0 : cumulative[k0 - 1];
    const iEnd = cumulative[Math.min(k1, m) - 1];
    const upper = iEnd / n1 - j / n2;
    const lower = iStart / n1 - jEnd / n2;
    if (upper > d || -lower > d) {
      for (let k = k0; k < k1; k++) {
        if (counts[2 * k] > 0) {
          j += counts[2 * k];
          const diff = (k === 0 ? 0 : cumulative[k - 1]) / n1 - j / n2;
          if (diff > d) d = diff;
          else if (-diff > d) d = -diff;
        }
        if (k === m) break;
        j += counts[2 * k + 1];
        const diff = cumulative[k] / n1 - j / n2;
        if (diff > d) d = diff;
        else if (-diff > d) d = -diff;
      }
    }
    j = jEnd;
  }
  return { statistic: d, ...ksPValue(d, n1, n2) };
}
