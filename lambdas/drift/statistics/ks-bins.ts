import { ksPValue, type KsResult } from './ks';

/**
 * An exact, mergeable summary of a sample for the two-sample KS test against a fixed, ascending reference.
 *
 * Let u_0 < u_1 < ... < u_{n-1} be the reference's distinct values. A window value falls in exactly one of 2n + 1
 * bins: bin 2k + 1 holds the values equal to u_k, bin 2k the values strictly between u_{k-1} and u_k (bin 0 below
 * u_0, bin 2n above u_{n-1}). Counts of several parts of a window add up to the counts of the whole window.
 *
 * D is recoverable exactly from the counts. The two-sample merge (ksTestSorted) evaluates i/n1 - j/n2 at every
 * distinct value of the pooled sample, i and j counting the reference and the window values <= it. Inside the gap
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
  const values: number[] = [];
  const cumulative: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    if (values.length > 0 && sorted[i] === values[values.length - 1]) cumulative[cumulative.length - 1] = i + 1;
    else {
      values.push(sorted[i]);
      cumulative.push(i + 1);
    }
  }
  return { values: Float64Array.from(values), cumulative: Float64Array.from(cumulative) };
}

/** The 2n + 1 bin counts of an ascending part of the window (see above), in one merge pass. */
export function ksBinCounts(reference: DistinctReference, sortedPart: Float64Array): Uint32Array {
  const u = reference.values;
  const counts = new Uint32Array(2 * u.length + 1);
  let k = 0;
  for (let i = 0; i < sortedPart.length; i++) {
    const v = sortedPart[i];
    while (k < u.length && u[k] < v) k++;
    counts[k < u.length && u[k] === v ? 2 * k + 1 : 2 * k]++;
  }
  return counts;
}

/** Adds `part`'s counts into `total` (the same reference's bins). */
export function addBinCounts(total: Float64Array, part: ArrayLike<number>): void {
  if (total.length !== part.length) throw new RangeError(`KS bin counts of different references: ${total.length} and ${part.length} bins`);
  for (let b = 0; b < part.length; b++) total[b] += part[b];
}

/** The KS test of the window whose bin counts are `counts` against the reference: ksTestSorted's D and p. */
export function ksTestFromBinCounts(reference: DistinctReference, counts: ArrayLike<number>): KsResult {
  const { values: u, cumulative } = reference;
  if (counts.length !== 2 * u.length + 1) throw new RangeError(`expected ${2 * u.length + 1} KS bin counts, got ${counts.length}`);
  const n1 = cumulative[u.length - 1];
  let n2 = 0;
  for (let b = 0; b < counts.length; b++) n2 += counts[b];
  if (n1 === 0 || n2 === 0) throw new RangeError('the KS test needs two non-empty samples');
  let maxDiff = 0;
  let minDiff = 0;
  let j = 0;
  const at = (i: number) => {
    const diff = i / n1 - j / n2;
    if (diff > maxDiff) maxDiff = diff;
    if (diff < minDiff) minDiff = diff;
  };
  for (let k = 0; k <= u.length; k++) {
    const below = k === 0 ? 0 : cumulative[k - 1];
    if (counts[2 * k] > 0) {
      j += counts[2 * k];
      at(below);
    }
    if (k === u.length) break;
    j += counts[2 * k + 1];
    at(cumulative[k]);
  }
  const statistic = Math.max(maxDiff, Math.min(-minDiff, 1));
  return { statistic, ...ksPValue(statistic, n1, n2) };
}
