import { chiSquaredSf } from './special-functions';

/** Pearson's chi-squared goodness-of-fit test: the statistic, its degrees of freedom and the p-value. */
export interface ChiSquaredResult {
  statistic: number;
  dof: number;
  pValue: number;
}

/**
 * Pearson's chi-squared goodness-of-fit test of observed counts against expected shares
 * (scipy.stats.chisquare(observed, f_exp=shares * sum(observed))). Shares must be positive and sum to 1.
 */
export function chiSquaredGoodnessOfFit(observed: readonly number[], expectedShares: readonly number[]): ChiSquaredResult {
  if (observed.length !== expectedShares.length) {
    throw new RangeError(`observed has ${observed.length} categories but expected shares ${expectedShares.length}`);
  }
  const total = observed.reduce((s, o) => s + o, 0);
  let statistic = 0;
  for (let i = 0; i < observed.length; i++) {
    if (!(expectedShares[i] > 0)) throw new RangeError(`expected share of category ${i} must be > 0, got ${expectedShares[i]}`);
    const expected = total * expectedShares[i];
    statistic += (observed[i] - expected) ** 2 / expected;
  }
  const dof = observed.length - 1;
  // One category: nothing can differ.
  if (dof === 0 || total === 0) return { statistic: 0, dof, pValue: 1 };
  return { statistic, dof, pValue: chiSquaredSf(statistic, dof) };
}
