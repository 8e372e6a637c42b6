import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addBinCounts, distinctReference, ksBinCounts, ksTestFromBinCounts } from '../../../../lambdas/drift/statistics/ks-bins';
import { ksTestPresorted, sortedCopy } from '../../../../lambdas/drift/statistics/ks';

const value = fc.double({ min: -1e6, max: 1e6, noNaN: true });
// Few distinct values: ties within and across the samples everywhere.
const tiedValue = fc.integer({ min: -3, max: 3 });
const sample = (v: fc.Arbitrary<number>) => fc.array(v, { minLength: 1, maxLength: 200 });
/** A window as parts (chunks), possibly empty parts, drawn from both kinds of values. */
const parts = fc.array(fc.array(fc.oneof(value, tiedValue), { maxLength: 80 }), { minLength: 1, maxLength: 6 }).filter((p) => p.some((x) => x.length > 0));

describe('KS bin counts of a window against a sorted baseline', () => {
  it('merged over any split of the window, give ksTestPresorted of the whole window: D bit for bit, the same p', () => {
    fc.assert(
      fc.property(fc.oneof(sample(value), sample(tiedValue)), parts, (baselineValues, windowParts) => {
        // GIVEN a sorted baseline and a window split into parts
        const baseline = sortedCopy(baselineValues);
        const reference = distinctReference(baseline);
        // WHEN each part is counted on its own and the counts are added
        const total = new Float64Array(2 * reference.values.length + 1);
        for (const part of windowParts) addBinCounts(total, ksBinCounts(reference, sortedCopy(part)));
        // THEN the test from the counts is the single pass's over the concatenated window
        expect(ksTestFromBinCounts(reference, total)).toEqual(ksTestPresorted(baseline, windowParts.flat()));
      }),
      { numRuns: 500 },
    );
  });

  it('skip only blocks that cannot hold D: baselines of many blocks, close, shifted, tied and disjoint windows', () => {
    const spread = (seed: number, n: number, shift: number) =>
      fc.sample(fc.double({ min: -1, max: 1, noNaN: true }), { seed, numRuns: n }).map((u) => shift + Math.tan(u));
    const cases: Array<[number[], number[]]> = [
      [spread(1, 8_000, 0), spread(2, 9_000, 0)],
      [spread(3, 8_000, 0), spread(4, 8_000, 0.02)],
      [spread(5, 6_000, 0), spread(6, 9_000, 0.7)],
      [spread(7, 8_000, 0).map(Math.round), spread(8, 7_000, 0.3).map(Math.round)],
      [spread(9, 5_000, -10), spread(10, 4_000, 10)],
      [spread(11, 5_000, 10), spread(12, 4_000, -10)],
    ];
    for (const [baselineValues, window] of cases) {
      const baseline = sortedCopy(baselineValues);
      const reference = distinctReference(baseline);
      const total = new Float64Array(2 * reference.values.length + 1);
      for (const part of [window.slice(0, 1000), window.slice(1000)]) addBinCounts(total, ksBinCounts(reference, sortedCopy(part)));
      expect(ksTestFromBinCounts(reference, total)).toEqual(ksTestPresorted(baseline, window));
    }
  });

  it('count every window value once, in the bin of its place among the distinct baseline values', () => {
    const reference = distinctReference(Float64Array.of(1, 1, 2, 5));
    expect(Array.from(reference.values)).toEqual([1, 2, 5]);
    expect(Array.from(reference.cumulative)).toEqual([2, 3, 4]);
    // bins: <1, =1, (1,2), =2, (2,5), =5, >5
    expect(Array.from(ksBinCounts(reference, Float64Array.of(0, 1, 1, 1.5, 2, 3, 4, 5, 9, 9)))).toEqual([1, 2, 1, 1, 2, 1, 2]);
  });

  it('refuse counts of another reference, and an empty window', () => {
    const reference = distinctReference(Float64Array.of(1, 2));
    expect(() => ksTestFromBinCounts(reference, [1, 2])).toThrow('expected 5 KS bin counts, got 2');
    expect(() => ksTestFromBinCounts(reference, [0, 0, 0, 0, 0])).toThrow('the KS test needs two non-empty samples');
    expect(() => addBinCounts(new Float64Array(5), [1])).toThrow('KS bin counts of different references: 5 and 1 bins');
  });
});
