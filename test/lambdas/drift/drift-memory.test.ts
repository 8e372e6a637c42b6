import { describe, expect, it } from 'vitest';
import { DriftMemoryError, heldValuesFor, referenceBytes, summaryReadsInFlight } from '../../../lambdas/drift/drift-memory';
import { numericReferenceFromValues } from '../../../lambdas/drift/compare';
import { categoryCounts } from '../../../lambdas/drift/statistics/categorical';
import { summaryReferences } from '../../../lambdas/drift/window-summary';
import { largeReferences } from './fixtures';

const MIB = 2 ** 20;

describe('drift function memory', () => {
  it('counts per numeric feature its sorted values, distinct values and cumulative counts and its KS bins, and once a document piece', () => {
    // GIVEN one numeric feature of 10 baseline values, 4 of them distinct (9 KS bins), and a categorical one
    const references = summaryReferences([numericReferenceFromValues('tenure', [1, 1, 1, 2, 2, 3, 3, 3, 4, 4]), { type: 'categorical', name: 'plan', counts: categoryCounts([0, 1]) }]);
    // THEN 8 * 10 sorted + 16 * 4 distinct and cumulative + 8 * 9 float64 bins + 20 * 9 for its document piece
    expect(referenceBytes(references)).toBe(80 + 64 + 72 + 180);
  });

  it('holds a quarter of the memory at 24 bytes a value beside a small baseline, less in a function of little more than its reserve', () => {
    const small = summaryReferences([numericReferenceFromValues('tenure', [0, 1, 2, 3, 5, 8])]);
    expect(heldValuesFor(2048, small)).toBe(Math.floor((512 * MIB) / 24));
    // 512 MiB less the 256 MiB reserve and the references, halved: just under a quarter
    expect(heldValuesFor(512, small)).toBe(Math.floor((256 * MIB - referenceBytes(small)) / 2 / 24));
  });

  it('holds less beside a large baseline: half of what the reserve and the references leave', () => {
    // GIVEN 30 numeric features of 10^6 distinct baseline values each (about 1.2 GB of references)
    const references = largeReferences(30, 1_000_000);
    const held = heldValuesFor(2048, references);
    // THEN the held values and the references fit in the memory with room to spare, and less than a quarter is held
    expect(held * 24).toBeLessThan(512 * MIB);
    expect(held * 24 * 2 + referenceBytes(references)).toBeLessThanOrEqual(2048 * MIB);
    expect(held).toBeGreaterThanOrEqual(30 * 65_536);
  });

  it('refuses a memory that cannot hold the references and a part of the window, naming the field and the memory to set', () => {
    // GIVEN 45 numeric features of 10^6 distinct baseline values each (1.8 GB of references), and the default memory
    const references = largeReferences(45, 1_000_000);
    let error: unknown;
    try {
      heldValuesFor(2048, references);
    } catch (err) {
      error = err;
    }
    // THEN a DriftMemoryError names drift.memoryMiB and the memory that would do
    expect(error).toBeInstanceOf(DriftMemoryError);
    expect((error as Error).name).toBe('DriftMemoryError');
    const message = (error as Error).message;
    expect(message).toMatch(/references of 45 numeric features take about 1755 MiB, and a drift function of 2048 MiB cannot hold them/);
    const needed = Number(/drift\.memoryMiB \(DriftMonitorProps\.memorySize\) to at least (\d+)/.exec(message)?.[1]);
    // AND that memory holds them with the fewest rows a part may have, a MiB less does not
    expect(heldValuesFor(needed, references)).toBeGreaterThanOrEqual(45 * 65_536);
    expect(() => heldValuesFor(needed - 1, references)).toThrow(DriftMemoryError);
  });

  it('reads up to 8 chunk summaries at once, as many as fit beside the references at 20 bytes a KS bin of the largest feature\'s line', () => {
    const small = summaryReferences([numericReferenceFromValues('tenure', [0, 1, 2, 3, 5, 8])]);
    // A small baseline: a line is at most its allowance of a MiB, however large the summaries are stored
    expect(summaryReadsInFlight(2048, small, 4 * 1024)).toBe(8);
    expect(summaryReadsInFlight(2048, small, 0)).toBe(8);
    expect(summaryReadsInFlight(300, small, 400 * MIB)).toBe(8);
    // 42 numeric features of 10^6 values (the most 2048 MiB takes) leave 2048 - 256 MiB - their references for reads
    // beyond the first (which the references count): at 20 bytes a bin of 2 * 10^6 + 1 and a MiB, 3 more
    const references = largeReferences(42, 1_000_000);
    const spare = 2048 * MIB - 256 * MIB - referenceBytes(references);
    const perLine = 20 * (2 * 1_000_000 + 1) + MIB;
    expect(1 + Math.floor(spare / perLine)).toBe(4);
    expect(summaryReadsInFlight(2048, references, 1024 * MIB)).toBe(4);
    // AND summaries stored smaller than a line's bound cost 5 times their size: 2 MiB ones, 8
    expect(summaryReadsInFlight(2048, references, 2 * MIB)).toBe(8);
    expect(summaryReadsInFlight(2048, references, 7 * MIB)).toBe(1 + Math.floor(spare / (35 * MIB)));
  });

  it('reads one summary at least wherever a worker holds the references and the fewest rows, and refuses a memory that does not with the workers\' error', () => {
    // GIVEN baselines of up to 43 numeric features of 10^6 values at 2048 MiB
    for (const features of [1, 10, 42]) expect(summaryReadsInFlight(2048, largeReferences(features, 1_000_000), 1024 * MIB)).toBeGreaterThanOrEqual(1);
    const references = largeReferences(43, 1_000_000);
    let message = '';
    try {
      summaryReadsInFlight(2048, references, 1024 * MIB);
    } catch (err) {
      expect(err).toBeInstanceOf(DriftMemoryError);
      message = (err as Error).message;
    }
    // THEN 43 are refused as a worker refuses them, naming the memory that would do, which reads some at once
    expect(message).toMatch(/^the baseline's references of 43 numeric features take about \d+ MiB, and a drift function of 2048 MiB cannot hold them/);
    const needed = Number(/drift\.memoryMiB \(DriftMonitorProps\.memorySize\) to at least (\d+)/.exec(message)?.[1]);
    expect(summaryReadsInFlight(needed, references, 1024 * MIB)).toBeGreaterThanOrEqual(1);
    expect(() => summaryReadsInFlight(needed - 1, references, 1024 * MIB)).toThrow(DriftMemoryError);
  });
});
