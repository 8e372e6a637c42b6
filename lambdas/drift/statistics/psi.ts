import { quantileSorted, upperBound } from './quantiles';

/**
 * Population stability index over baseline-quantile bins.
 *
 * Bins: the interior edges are the baseline's k/bins quantiles (deciles by default), duplicates removed
 * (a feature with many equal values has fewer, wider bins); bin i is (edge[i-1], edge[i]], the first and
 * last bins are open-ended, so every current value lands in a bin.
 *
 * PSI = sum over bins of (c - b) * ln(c / b), c and b the current and baseline shares of the bin.
 * A share of 0 makes ln undefined, so every share is floored at PSI_EPSILON = 1e-4 (shares are not
 * renormalised). 1e-4 is below the share of one row in any window we judge (minSamples <= 10,000) yet
 * keeps a bin that empties or appears from contributing more than about share * ln(share / 1e-4), i.e.
 * at most ~9.2 times its share: a large, finite value instead of infinity.
 */
export const PSI_EPSILON = 1e-4;
export const DEFAULT_PSI_BINS = 10;

/** Interior bin edges: the distinct k/bins quantiles (k = 1..bins-1) of an ascending sample. */
export function quantileBinEdges(sorted: ArrayLike<number>, bins = DEFAULT_PSI_BINS): number[] {
  if (!Number.isInteger(bins) || bins < 2) throw new RangeError(`bins must be an integer >= 2, got ${bins}`);
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const edge = quantileSorted(sorted, k / bins);
    if (edges.length === 0 || edge !== edges[edges.length - 1]) edges.push(edge);
  }
  return edges;
}

/** Count of an ascending sample in each bin (edges.length + 1 bins). */
export function binCountsSorted(sorted: ArrayLike<number>, edges: readonly number[]): number[] {
  const counts: number[] = [];
  let start = 0;
  for (const edge of edges) {
    const end = upperBound(sorted, edge, start);
    counts.push(end - start);
    start = end;
  }
  counts.push(sorted.length - start);
  return counts;
}

/** Shares of the bins from counts. */
export function sharesOf(counts: readonly number[]): number[] {
  const total = counts.reduce((s, c) => s + c, 0);
  if (total === 0) throw new RangeError('shares of an empty sample are undefined');
  return counts.map((c) => c / total);
}

/** PSI between two share vectors over the same bins, each share floored at PSI_EPSILON. */
export function psiFromShares(baseline: readonly number[], current: readonly number[]): number {
  if (baseline.length !== current.length) {
    throw new RangeError(`PSI needs the same bins on both sides, got ${baseline.length} and ${current.length}`);
  }
  let psi = 0;
  for (let i = 0; i < baseline.length; i++) {
    const b = Math.max(baseline[i], PSI_EPSILON);
    const c = Math.max(current[i], PSI_EPSILON);
    psi += (c - b) * Math.log(c / b);
  }
  return psi;
}

export interface PsiResult {
  psi: number;
  edges: number[];
  baselineShares: number[];
  currentShares: number[];
}

/** PSI of a current sample against baseline bins (edges and shares as stored in the baseline). */
export function psiAgainstBins(edges: readonly number[], baselineShares: readonly number[], currentSorted: ArrayLike<number>): PsiResult {
  const currentShares = sharesOf(binCountsSorted(currentSorted, edges));
  return { psi: psiFromShares(baselineShares, currentShares), edges: [...edges], baselineShares: [...baselineShares], currentShares };
}

/** PSI of two ascending samples, bins from the baseline's quantiles. */
export function psiSorted(baselineSorted: ArrayLike<number>, currentSorted: ArrayLike<number>, bins = DEFAULT_PSI_BINS): PsiResult {
  const edges = quantileBinEdges(baselineSorted, bins);
  return psiAgainstBins(edges, sharesOf(binCountsSorted(baselineSorted, edges)), currentSorted);
}
