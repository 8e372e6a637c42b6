import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evenlySpacedSample } from '../../../lambdas/drift/baseline';
import { ksTest, sortedCopy } from '../../../lambdas/drift/statistics/ks';
import { psiSorted } from '../../../lambdas/drift/statistics/psi';
import { sortFloat64 } from '../../../lambdas/drift/statistics/sort';

const sample = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 });
// Few distinct values: ties everywhere.
const tied = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 300 });

describe('KS properties', () => {
  it('is symmetric, with D and p in [0, 1]', () => {
    fc.assert(
      fc.property(fc.oneof(sample, tied), fc.oneof(sample, tied), (a, b) => {
        const ab = ksTest(a, b);
        const ba = ksTest(b, a);
        expect(ab).toEqual(ba);
        expect(ab.statistic).toBeGreaterThanOrEqual(0);
        expect(ab.statistic).toBeLessThanOrEqual(1);
        expect(ab.pValue).toBeGreaterThanOrEqual(0);
        expect(ab.pValue).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('gives D = 0 and p = 1 for a sample against a shuffled copy of itself', () => {
    fc.assert(
      fc.property(fc.oneof(sample, tied), (a) => {
        const result = ksTest(a, [...a].reverse());
        expect(result.statistic).toBe(0);
        expect(result.pValue).toBe(1);
      }),
    );
  });
});

describe('PSI properties', () => {
  it('is 0 for identical data and never negative', () => {
    fc.assert(
      fc.property(fc.oneof(sample, tied), fc.oneof(sample, tied), (a, b) => {
        expect(psiSorted(sortedCopy(a), sortedCopy(a)).psi).toBe(0);
        expect(psiSorted(sortedCopy(a), sortedCopy(b)).psi).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

describe('radix sort', () => {
  it('orders like Float64Array.prototype.sort, including -0, infinities and ties', () => {
    const special = fc.constantFrom(-0, 0, Infinity, -Infinity, Number.MIN_VALUE, -Number.MAX_VALUE);
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ noNaN: true }), special), { minLength: 2048, maxLength: 5000 }), (values) => {
        const ours = Array.from(sortFloat64(values));
        const reference = Array.from(Float64Array.from(values).sort());
        expect(ours.every((v, i) => Object.is(v, reference[i]))).toBe(true);
      }),
      { numRuns: 20 },
    );
  });

  it('orders runs of equal high words (narrow ranges, both signs) by their low word, short, middling and long runs', () => {
    // 1 + k * 2^-52 share their high word while k < 2^32. One to eight (sign, octave) groups of 2,048 to 5,000 values,
    // and a few distinct k values repeated: runs finished by insertion sort, the built-in sort and radix passes.
    const array = fc.record({
      groups: fc.integer({ min: 0, max: 3 }),
      signs: fc.boolean(),
      ks: fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { minLength: 1, maxLength: 5000 }),
      draws: fc.array(fc.tuple(fc.nat(), fc.boolean(), fc.nat()), { minLength: 2048, maxLength: 5000 }),
    });
    fc.assert(
      fc.property(array, ({ groups, signs, ks, draws }) => {
        const values = draws.map(([k, negative, octave]) => (signs && negative ? -1 : 1) * 2 ** (octave % (groups + 1)) * (1 + ks[k % ks.length] * 2 ** -52));
        const reference = Float64Array.from(values).sort();
        expect(Array.from(sortFloat64(values)).every((v, i) => Object.is(v, reference[i]))).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('gives each call its own result when a digit is skipped and the scratch buffer is larger than the input', () => {
    // Non-negative float32 values share their lowest 29 bits (all zero): every run of equal high words is sorted by
    // its low word, all of whose digits are skipped.
    const floats = fc.array(fc.float({ noNaN: true, min: 0 }).map(Number), { minLength: 2048, maxLength: 3000 });
    fc.assert(
      fc.property(floats, floats, (large, small) => {
        const first = sortFloat64(Float64Array.from([...large, ...large]));
        const second = sortFloat64(Float64Array.from(small));
        expect(second.length).toBe(small.length);
        expect(Array.from(second).every((v, i, all) => i === 0 || all[i - 1] <= v)).toBe(true);
        expect(Array.from(first)).toEqual(Array.from(Float64Array.from([...large, ...large]).sort()));
        expect(Array.from(second)).toEqual(Array.from(Float64Array.from(small).sort()));
      }),
      { numRuns: 10 },
    );
  });
});

describe('baseline sample', () => {
  it('keeps every value up to the sample size and evenly spaced order statistics beyond it', () => {
    const sorted = Float64Array.from({ length: 10 }, (_, i) => i);
    expect(Array.from(evenlySpacedSample(sorted, 20))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(evenlySpacedSample(sorted, 4))).toEqual([1, 3, 6, 8]);
  });
});
