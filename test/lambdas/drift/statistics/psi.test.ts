import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortedCopy } from '../../../../lambdas/drift/statistics/ks';
import { binCounts, binCountsSorted, psiSorted, psiTest } from '../../../../lambdas/drift/statistics/psi';
import { ksFixture, psiFixture } from '../fixtures';

const value = fc.oneof(fc.double(), fc.integer({ min: -3, max: 3 }), fc.constantFrom(-0, 0, Infinity, -Infinity, NaN));
const sortedEdges = (n: number) =>
  fc.uniqueArray(fc.oneof(fc.double({ noNaN: true }), fc.integer({ min: -3, max: 3 })), { minLength: n, maxLength: n }).map((e) => e.sort((a, b) => a - b));

describe('binning without sorting', () => {
  it.each([1, 9, 15, 16, 40])('gives the counts of the sorted binning with %i edges (ties, infinities, NaN last)', (edgeCount) => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 200 }), sortedEdges(edgeCount), (values, edges) => {
        expect(binCounts(values, edges)).toEqual(binCountsSorted(sortedCopy(values), edges));
      }),
      { numRuns: 200 },
    );
  });

  it('psiTest matches the numpy fixtures exactly as psiSorted does', () => {
    const pairs = new Map(ksFixture.cases.map((c) => [c.name, c]));
    for (const c of psiFixture.cases) {
      const pair = pairs.get(c.pair)!;
      const unsorted = psiTest(pair.a, pair.b, c.bins);
      expect(unsorted).toEqual(psiSorted(sortedCopy(pair.a), sortedCopy(pair.b), c.bins));
      expect(unsorted.edges).toEqual(c.edges);
      expect(Math.abs(unsorted.psi - c.psi)).toBeLessThan(1e-12 * Math.max(1, c.psi));
    }
  });
});
