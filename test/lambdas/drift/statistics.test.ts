import { describe, expect, it } from 'vitest';
import { compareCategories } from '../../../lambdas/drift/statistics/categorical';
import { kolmogorovDistribution } from '../../../lambdas/drift/statistics/kolmogorov';
import { ksTest } from '../../../lambdas/drift/statistics/ks';
import { PSI_EPSILON, psiSorted } from '../../../lambdas/drift/statistics/psi';
import { chiSquaredSf } from '../../../lambdas/drift/statistics/special-functions';
import { sortedCopy } from '../../../lambdas/drift/statistics/ks';
import { chiSquaredFixture, kolmogorovFixture, ksFixture, psiFixture, relativeError } from './fixtures';

/** The brief's accuracy target against scipy. */
const RELATIVE_TOLERANCE = 1e-10;

describe('two-sample KS against scipy.stats.ks_2samp(method="asymp")', () => {
  it.each(ksFixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    // WHEN
    const result = ksTest(c.a, c.b);
    // THEN D is the same double; the p-value agrees to 1e-10 relative
    expect(result.statistic).toBe(c.statistic);
    expect(relativeError(result.pValue, c.pValue)).toBeLessThan(RELATIVE_TOLERANCE);
    // and the test is symmetric
    const swapped = ksTest(c.b, c.a);
    expect(swapped.statistic).toBe(result.statistic);
    expect(swapped.pValue).toBe(result.pValue);
  });
});

describe('Kolmogorov distribution against scipy.stats.kstwo', () => {
  it('matches sf and cdf over n = 1..250,000 and x across every method boundary', () => {
    const failures: string[] = [];
    for (const c of kolmogorovFixture.cases) {
      const sf = kolmogorovDistribution(c.n, c.x, false);
      const cdf = kolmogorovDistribution(c.n, c.x, true);
      if (relativeError(sf, c.sf) > RELATIVE_TOLERANCE) failures.push(`sf n=${c.n} x=${c.x}: ${sf} vs ${c.sf}`);
      if (relativeError(cdf, c.cdf) > RELATIVE_TOLERANCE) failures.push(`cdf n=${c.n} x=${c.x}: ${cdf} vs ${c.cdf}`);
    }
    expect(kolmogorovFixture.cases.length).toBeGreaterThan(500);
    expect(failures).toEqual([]);
  });
});

describe('PSI against an independent numpy computation', () => {
  const pairs = new Map(ksFixture.cases.map((c) => [c.name, c]));
  it.each(psiFixture.cases.map((c) => [`${c.pair} bins=${c.bins}`, c] as const))('%s', (_name, c) => {
    // GIVEN the same epsilon as the reference
    expect(PSI_EPSILON).toBe(psiFixture.epsilon);
    const pair = pairs.get(c.pair)!;
    // WHEN
    const result = psiSorted(sortedCopy(pair.a), sortedCopy(pair.b), c.bins);
    // THEN the bins are numpy's quantile edges to the bit and the PSI agrees to rounding
    expect(result.edges).toEqual(c.edges);
    expect(Math.abs(result.psi - c.psi)).toBeLessThan(1e-12 * Math.max(1, c.psi));
  });
});

describe('chi-squared against scipy.stats.chisquare and chi2.sf', () => {
  it.each(chiSquaredFixture.tests.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    // WHEN
    const { chiSquared } = compareCategories(c.baselineCounts, c.currentCounts);
    // THEN
    expect(chiSquared.dof).toBe(c.dof);
    expect(relativeError(chiSquared.statistic, c.statistic)).toBeLessThan(1e-12);
    expect(relativeError(chiSquared.pValue, c.pValue)).toBeLessThan(RELATIVE_TOLERANCE);
  });

  it('chi2.sf over dof 1..1000 including tails far below 1e-100', () => {
    const failures = chiSquaredFixture.chi2Sf
      .map((c) => ({ ...c, ours: chiSquaredSf(c.x, c.dof) }))
      .filter((c) => relativeError(c.ours, c.sf) > RELATIVE_TOLERANCE)
      .map((c) => `x=${c.x} dof=${c.dof}: ${c.ours} vs ${c.sf}`);
    expect(failures).toEqual([]);
  });
});
