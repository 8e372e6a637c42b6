import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CaptureRecord } from '../../../contracts/capture-record';
import { ChunkSummarizer } from '../../../lambdas/drift/chunk-summarizer';
import { numericReferenceFromValues } from '../../../lambdas/drift/compare';
import { categoryCounts } from '../../../lambdas/drift/statistics/categorical';
import { summaryDocument, summaryReferences } from '../../../lambdas/drift/window-summary';

const SERVED = {
  model: 'churn',
  version: 3,
  config: {
    task: 'binary-classification' as const,
    features: [
      { name: 'tenure', type: 'numeric' as const },
      { name: 'plan', type: 'categorical' as const },
      { name: 'spend', type: 'numeric' as const },
    ],
  },
};
const SCAN = { objectCount: 4, recordCount: 0, invalidLines: 2 };

/** A captured record: of the served version, of another version, or of the version with a feature missing. */
const capturedRecord = fc
  .record({
    tenure: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.double({ min: -5, max: 500, noNaN: true })),
    plan: fc.constantFrom(0, 1, 2, 3),
    spend: fc.double({ min: 0, max: 1e4, noNaN: true }),
    probability: fc.double({ min: 0, max: 1, noNaN: true }),
    kind: fc.constantFrom('served', 'served', 'served', 'other-version', 'wrong-width'),
  })
  .map(({ tenure, plan, spend, probability, kind }): CaptureRecord => ({
    model: 'churn',
    modelVersion: kind === 'other-version' ? 2 : 3,
    at: '2026-12-04T09:00:00.000Z',
    requestId: 'r',
    features: kind === 'wrong-width' ? [tenure, plan] : [tenure, plan, spend],
    prediction: probability,
  }));

const references = summaryReferences([
  numericReferenceFromValues('tenure', [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55]),
  { type: 'categorical', name: 'plan', counts: categoryCounts([0, 1, 1, 2, 3]) },
  numericReferenceFromValues('spend', [10, 20, 20, 40, 80, 160, 320, 640, 1280, 2560]),
]);

async function summarize(records: CaptureRecord[], maxHeldValues: number) {
  let loads = 0;
  const boundsAsked: unknown[] = [];
  const summarizer = new ChunkSummarizer(
    SERVED,
    (read) => {
      boundsAsked.push(read);
      return maxHeldValues;
    },
    async () => {
      loads++;
      return references;
    },
  );
  for (const record of records) await summarizer.add(record);
  const summary = await summarizer.finish(SCAN);
  return { document: summaryDocument(0, summary), parts: summarizer.parts, loads, boundsAsked };
}

describe('ChunkSummarizer', () => {
  it('gives the summary of the whole chunk at once, whatever the bound on the values it holds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(capturedRecord, { maxLength: 120 }), fc.integer({ min: 1, max: 40 }), async (records, maxHeldValues) => {
        // GIVEN a chunk's records, summarized once holding them all and once holding at most maxHeldValues feature values
        const whole = await summarize(records, Number.MAX_SAFE_INTEGER);
        const bounded = await summarize(records, maxHeldValues);
        // THEN the bounded summary has every count of the whole one (rows, wrong widths, classes, PSI, KS and category bins)
        expect(bounded.document).toEqual(whole.document);
        expect(whole.parts).toBe(1);
        // AND it summarized a part each time the held rows' two numeric values reached the bound, then the rest
        const served = records.filter((r) => r.modelVersion === 3 && r.features.length === 3).length;
        expect(bounded.parts).toBe(Math.floor(served / Math.ceil(maxHeldValues / 2)) + 1);
        // AND it read the baseline once, and only for a chunk with rows, as a whole window does, and sized its bound from it
        expect(bounded.loads).toBe(served === 0 ? 0 : 1);
        expect(bounded.boundsAsked).toEqual(served === 0 ? [] : [references]);
      }),
      { numRuns: 200 },
    );
  });

  it('reads the references at the first row of the served version, before it holds any other, to size its bound', async () => {
    // GIVEN a summarizer whose bound comes from the references, which are read on request
    const events: string[] = [];
    const summarizer = new ChunkSummarizer(
      SERVED,
      () => {
        events.push('bound');
        return 4;
      },
      async () => {
        events.push('read');
        return references;
      },
    );
    const record = (modelVersion: number, tenure: number): CaptureRecord => ({ model: 'churn', modelVersion, at: '2026-12-04T09:00:00.000Z', requestId: 'r', features: [tenure, 1, 20], prediction: 0.4 });
    // WHEN a record of another version comes first, then the served version's
    expect(summarizer.add(record(2, 1))).toBeUndefined();
    expect(events).toEqual([]);
    await summarizer.add(record(3, 1));
    // THEN the references were read at the first served row and the bound sized from them, once
    expect(events).toEqual(['read', 'bound']);
    // AND the bound holds from the next row on: two rows of two numeric values reach 4
    expect(summarizer.add(record(3, 2))).toBeInstanceOf(Promise);
    expect(events).toEqual(['read', 'bound']);
  });

  it('refuses a bound below one value when it is sized, and passes a failed read of the references to the scan', async () => {
    const record: CaptureRecord = { model: 'churn', modelVersion: 3, at: '2026-12-04T09:00:00.000Z', requestId: 'r', features: [1, 1, 20], prediction: 0.4 };
    await expect(new ChunkSummarizer(SERVED, () => 0, async () => references).add(record)).rejects.toThrow(/at least one value, got a bound of 0/);
    const unreadable = new ChunkSummarizer(SERVED, () => 4, () => Promise.reject(new Error('baseline.json is missing')));
    await expect(unreadable.add(record)).rejects.toThrow('baseline.json is missing');
  });
});
