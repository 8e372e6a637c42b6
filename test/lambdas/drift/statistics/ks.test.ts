import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ksTest, ksTestPresorted, ksTestSorted, sortedCopy } from '../../../../lambdas/drift/statistics/ks';

/** #values <= x in an ascending array (numpy's searchsorted(side='right')). */
function countAtMost(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** D as scipy's ks_2samp forms it: both empirical CDFs at every pooled value, cdf1 - cdf2 by searchsorted. */
function scipyStatistic(a: readonly number[], b: readonly number[]): number {
  // Comparison sort: independent of the radix sort under test.
  const sa = Float64Array.from(a).sort();
  const sb = Float64Array.from(b).sort();
  let d = 0;
  for (const x of [...a, ...b]) d = Math.max(d, Math.abs(countAtMost(sa, x) / sa.length - countAtMost(sb, x) / sb.length));
  return d;
}

const special = fc.constantFrom(-0, 0, 1, -1, Number.MIN_VALUE, -Number.MAX_VALUE, Number.MAX_VALUE);
const continuous = fc.double({ min: -1e6, max: 1e6, noNaN: true });
// Few distinct values (ties, duplicates, both zeros), and samples past the radix sort's threshold (2,048 values).
const tied = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(-0, 0));
const sampleOf = (maxLength: number) => fc.array(fc.oneof(continuous, tied, special), { minLength: 1, maxLength });
const samples = fc.oneof(sampleOf(300), fc.array(fc.oneof(continuous, tied), { minLength: 2048, maxLength: 4000 }));

describe('KS against a presorted reference', () => {
  it('gives the two-sample test\'s D and p exactly, and D as scipy forms it', () => {
    fc.assert(
      fc.property(samples, samples, (reference, window) => {
        // GIVEN a reference sorted once (as the processing step stores it) and a window in any order
        const sortedReference = sortedCopy(reference);
        // WHEN
        const presorted = ksTestPresorted(sortedReference, window);
        // THEN
        expect(presorted).toEqual(ksTest(reference, window));
        expect(presorted).toEqual(ksTestSorted(Float64Array.from(reference).sort(), Float64Array.from(window).sort()));
        expect(presorted.statistic).toBe(scipyStatistic(reference, window));
      }),
      { numRuns: 60 },
    );
  });

  it('prunes only blocks that cannot hold D: samples of many blocks, close, shifted, tied and disjoint, give scipy\'s D', () => {
    // Sizes past several 64-value blocks, where most blocks are skipped and the supremum may sit inside any block.
    const normalish = (seed: number, n: number, shift: number, scale: number) =>
      fc.sample(fc.double({ min: -1, max: 1, noNaN: true }), { seed, numRuns: n }).map((u) => shift + scale * Math.tan(u));
    const cases: Array<[number[], number[]]> = [
      [normalish(1, 20_000, 0, 1), normalish(2, 15_000, 0, 1)],
      [normalish(3, 20_000, 0, 1), normalish(4, 20_000, 0.01, 1)],
      [normalish(5, 12_000, 0, 1), normalish(6, 20_000, 0.5, 2)],
      [normalish(7, 10_000, 0, 1).map(Math.round), normalish(8, 9_000, 0.3, 1).map(Math.round)],
      [normalish(9, 5_000, -10, 1), normalish(10, 7_000, 10, 1)],
      [normalish(11, 7_000, 10, 1), normalish(12, 5_000, -10, 1)],
    ];
    for (const [reference, window] of cases) {
      const result = ksTestPresorted(sortedCopy(reference), window);
      expect(result.statistic).toBe(scipyStatistic(reference, window));
      expect(result).toEqual(ksTest(window, reference));
    }
  });

  it('treats -0 and 0 as one value', () => {
    const result = ksTestPresorted(Float64Array.from([-0, -0, 0]), [0, 0, -0]);
    expect(result.statistic).toBe(0);
    expect(result.pValue).toBe(1);
  });

  it('refuses NaN in the window, and an empty side', () => {
    expect(() => ksTestPresorted(Float64Array.from([1, 2]), [1, NaN])).toThrow('the KS test got NaN values');
    expect(() => ksTestPresorted(Float64Array.from([1, 2]), Array.from({ length: 3000 }, (_, i) => (i === 7 ? NaN : i)))).toThrow(
      'the KS test got NaN values',
    );
    expect(() => ksTestPresorted(new Float64Array(0), [1])).toThrow('the KS test needs two non-empty samples');
  });
});
