import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkSummarySchema } from '../../../contracts/drift-summary';
import type { CaptureRecord } from '../../../contracts/capture-record';
import { compareFeatures, numericReferenceFromValues, type FeatureReference } from '../../../lambdas/drift/compare';
import { DEFAULT_DRIFT_THRESHOLDS } from '../../../lambdas/drift/drift-config';
import { comparePredictedClasses } from '../../../lambdas/drift/prediction-drift';
import { categoryCounts } from '../../../lambdas/drift/statistics/categorical';
import { WindowColumns } from '../../../lambdas/drift/window-columns';
import {
  addSummaryText,
  addWindow,
  addWindowSummary,
  compareSummary,
  decodeCounts,
  encodeCounts,
  mergeWindowSummaries,
  summaryDocument,
  summaryDocumentText,
  summaryFromDocument,
  summaryReferences,
  type SummaryReferences,
  type WindowSummary,
} from '../../../lambdas/drift/window-summary';

const CONFIG = {
  task: 'multiclass-classification' as const,
  features: [
    { name: 'amount', type: 'numeric' as const },
    { name: 'hour', type: 'numeric' as const },
    { name: 'channel', type: 'categorical' as const },
  ],
};
const SCAN = { objectCount: 1, recordCount: 0, invalidLines: 0 };
const record = (features: number[], label: string): CaptureRecord => ({
  model: 'fraud',
  modelVersion: 2,
  at: '2026-12-01T10:00:00.000Z',
  requestId: 'r',
  features,
  prediction: 0.9,
  label,
});

const row = fc.tuple(
  fc.oneof(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.integer({ min: 0, max: 5 })),
  fc.integer({ min: 0, max: 23 }),
  fc.integer({ min: 0, max: 3 }),
  fc.constantFrom('a', 'b', 'c', 'constructor'),
);
const baselineRows = fc.array(row, { minLength: 2, maxLength: 150 });
const windowChunks = fc.array(fc.array(row, { maxLength: 60 }), { minLength: 1, maxLength: 5 }).filter((c) => c.some((x) => x.length > 0));

/** The references the drift job builds from a baseline: quantile bins and all sorted values. */
function referencesOf(rows: [number, number, number, string][]): FeatureReference[] {
  return [
    numericReferenceFromValues('amount', rows.map((r) => r[0])),
    numericReferenceFromValues('hour', rows.map((r) => r[1])),
    { type: 'categorical', name: 'channel', counts: categoryCounts(rows.map((r) => r[2])) },
  ];
}

/** The summary of a window alone: addWindow into an empty summary, as a chunk's summarizer starts. */
async function summarizeWindow(window: WindowColumns, scan: typeof SCAN, loadReferences: () => Promise<SummaryReferences>): Promise<WindowSummary> {
  const summary = mergeWindowSummaries([]);
  await addWindow(summary, window, scan, loadReferences);
  return summary;
}

function windowOf(rows: [number, number, number, string][]): WindowColumns {
  const window = new WindowColumns('fraud', 2, CONFIG);
  for (const [amount, hour, channel, label] of rows) window.add(record([amount, hour, channel], label));
  return window;
}

/**
 * A text's lines as a reader gets them, a turn of the event loop apart (the first after `wait` turns more): texts read at
 * once interleave their lines.
 */
async function* linesOf(text: string, wait = 0): AsyncGenerator<string> {
  for (let turn = 0; turn < wait; turn++) await new Promise((resolve) => setImmediate(resolve));
  for (const line of text.split('\n')) {
    await new Promise((resolve) => setImmediate(resolve));
    yield line;
  }
}

describe('window summaries', () => {
  it('merged over any split of the window into chunks (through their S3 documents), give the single pass\'s statistics and verdicts exactly', async () => {
    await fc.assert(
      fc.asyncProperty(baselineRows, windowChunks, async (baseline, chunks) => {
        // GIVEN a baseline and a window split into chunks
        const references = referencesOf(baseline);
        const summaryRefs = summaryReferences(references);
        // WHEN each chunk is summarized alone, written as the worker writes it, read back and merged
        const documents = await Promise.all(
          chunks.map(async (chunk, i) => {
            const summary = await summarizeWindow(windowOf(chunk), SCAN, async () => summaryRefs);
            // (the worker streams the document's text in pieces, whose length it declares: the whole document, a feature a line)
            const { bytes, pieces } = summaryDocumentText(i, summary);
            const text = [...pieces()].join('');
            expect(JSON.stringify(JSON.parse(text))).toBe(JSON.stringify(summaryDocument(i, summary)));
            expect(text.split('\n')).toHaveLength(summary.features.length + 2);
            expect(bytes).toBe(Buffer.byteLength(text));
            return { text, document: chunkSummarySchema.parse(JSON.parse(text)) };
          }),
        );
        const merged = mergeWindowSummaries(documents.map(({ document }) => summaryFromDocument(document)));
        // (the decide step streams the texts at once, adding each feature's line as it arrives: the same total)
        const streamed = mergeWindowSummaries([]);
        const featureCounts = await Promise.all(documents.map(({ text }) => addSummaryText(streamed, linesOf(text))));
        expect(featureCounts).toEqual(documents.map(({ document }) => document.features.length));
        expect(streamed).toEqual(merged);
        // (a summarizer counts each part straight into its running total: the same total)
        const counted = mergeWindowSummaries([]);
        for (const chunk of chunks) await addWindow(counted, windowOf(chunk), SCAN, async () => summaryRefs);
        expect(counted).toEqual(merged);
        // THEN every feature's PSI, KS (D and p), chi-squared and verdict, and the dataset verdict, are compareFeatures' on the whole window
        const whole = windowOf(chunks.flat());
        expect(compareSummary(summaryRefs, merged, DEFAULT_DRIFT_THRESHOLDS)).toEqual(compareFeatures(references, whole.columns(), DEFAULT_DRIFT_THRESHOLDS));
        // AND the predicted classes compare as the single pass's
        const reference = { a: 10, b: 5, c: 1, constructor: 3 };
        expect(comparePredictedClasses(reference, { counts: merged.predictedClasses, unclassified: merged.unclassified }, DEFAULT_DRIFT_THRESHOLDS)).toEqual(
          comparePredictedClasses(reference, { counts: whole.predictedClasses, unclassified: whole.unclassified }, DEFAULT_DRIFT_THRESHOLDS),
        );
        expect({ rows: merged.rows, objects: merged.objectCount }).toEqual({ rows: whole.rows, objects: chunks.length });
      }),
      { numRuns: 200 },
    );
  });

  it('of a chunk without rows of the version read no baseline and merge as nothing', async () => {
    const summary = await summarizeWindow(windowOf([]), SCAN, () => Promise.reject(new Error('the baseline was read')));
    expect(summary).toMatchObject({ rows: 0, features: [] });
    const refs = summaryReferences(referencesOf([[1, 2, 0, 'a'], [3, 4, 1, 'b']]));
    const full = await summarizeWindow(windowOf([[1, 2, 0, 'a']]), SCAN, async () => refs);
    expect(mergeWindowSummaries([summary, full, summary]).features).toEqual(full.features);
  });

  it('add into a running total in place, leaving each part as it was', async () => {
    const refs = summaryReferences(referencesOf([[1, 2, 0, 'a'], [3, 4, 1, 'b']]));
    const part = await summarizeWindow(windowOf([[1, 2, 0, 'a'], [5, 2, 1, 'b']]), SCAN, async () => refs);
    const before = structuredClone(part);
    const total = mergeWindowSummaries([]);
    addWindowSummary(total, part);
    addWindowSummary(total, part);
    expect(part).toEqual(before);
    expect(total).toEqual(mergeWindowSummaries([part, part]));
    expect(total).toMatchObject({ rows: 4, objectCount: 2 });
    // AND a chunk's summary counted against another baseline (other KS bins) is refused as read, naming both sizes
    const other = await summarizeWindow(windowOf([[1, 2, 0, 'a']]), SCAN, async () => summaryReferences(referencesOf([[1, 2, 0, 'a'], [3, 4, 1, 'b'], [7, 8, 2, 'c']])));
    const otherText = [...summaryDocumentText(1, other).pieces()].join('');
    await expect(addSummaryText(total, linesOf(otherText))).rejects.toThrow('KS bin counts of different references: 5 and 7 bins');
  });

  it('are read a feature\'s line at a time, or whole as written before that layout, and a malformed or cut-off text is refused, saying where', async () => {
    const refs = summaryReferences(referencesOf([[1, 2, 0, 'a'], [3, 4, 1, 'b']]));
    const part = await summarizeWindow(windowOf([[1, 2, 0, 'a'], [5, 2, 1, 'b']]), SCAN, async () => refs);
    const text = [...summaryDocumentText(3, part).pieces()].join('');
    const lines = text.split('\n');
    const read = async (...texts: string[]) => {
      const total = mergeWindowSummaries([]);
      for (const t of texts) await addSummaryText(total, linesOf(t));
      return total;
    };
    // GIVEN a summary's text: its head, a line per feature (each but the last ending with a comma), and its closing line
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^\{"chunk":3,.*"features":\[$/);
    expect(lines.slice(1, 3).every((line) => line.endsWith(','))).toBe(true);
    expect(lines.slice(3)).toEqual([expect.stringMatching(/^\{"name":"channel".*\}$/), ']}']);
    // THEN it adds up as the summary itself, and a document on one line (the layout before) adds up the same
    expect(await read(text)).toEqual(mergeWindowSummaries([part]));
    expect(await read(JSON.stringify(summaryDocument(3, part)), text)).toEqual(mergeWindowSummaries([part, part]));
    // (also when it arrives while a streamed one read at once is part-way through its features)
    const atOnce = mergeWindowSummaries([]);
    await Promise.all([addSummaryText(atOnce, linesOf(text)), addSummaryText(atOnce, linesOf(JSON.stringify(summaryDocument(3, part)), 2))]);
    expect(atOnce).toEqual(mergeWindowSummaries([part, part]));
    // AND a text that is not such a summary is refused, naming the line and what is wrong with it
    const refused = (t: string) => read(t).then(() => 'read', (error: Error) => error.message);
    expect(await refused('')).toBe('its one line is not JSON (Unexpected end of JSON input)');
    expect(await refused(lines.slice(0, 3).join('\n'))).toBe('it ends after 2 features, without its closing "]}"');
    expect(await refused([...lines, ''].join('\n'))).toBe('it has text after its closing "]}"');
    expect(await refused([lines[0], lines[1], lines[2].slice(0, -1), lines[3], ']}'].join('\n'))).toBe("its feature 1's line does not end with a comma, but feature 2 follows");
    expect(await refused([lines[0], lines[1], lines[2], `${lines[3]},`, ']}'].join('\n'))).toBe("its feature 2's line ends with a comma, but no feature follows");
    expect(await refused([lines[0], '{"name":', ...lines.slice(2)].join('\n'))).toMatch(/^its feature 0 is not JSON \(/);
    expect(await refused([lines[0], lines[1].replace('"bins":5', '"bins":0'), ...lines.slice(2)].join('\n'))).toBe('its feature 0: ksCounts.bins: Too small: expected number to be >=1');
    expect(await refused([lines[0].replace('"rows":2', '"rows":-2'), ...lines.slice(1)].join('\n'))).toBe('its first line: rows: Too small: expected number to be >=0');
  });

  it('encode KS counts as varints, densely or as (gap, count) pairs, whichever is shorter, and refuse a malformed body', () => {
    const sparse = [0, 0, 0, 7, 0, 0, 0, 0, 0, 2];
    const dense = [1, 2, 0, 4];
    const large = [0, 127, 128, 16_383, 16_384, 2 ** 21, 2 ** 28 + 3, 2 ** 32 - 1, 0, 1];
    // Pairs (3, 7) and (5, 2): 4 bytes against 10; every bin of the dense one: 4 bytes against 6
    expect(encodeCounts(sparse)).toEqual({ encoding: 'sparse-varint', bins: 10, data: Buffer.from([3, 7, 5, 2]).toString('base64') });
    expect(encodeCounts(dense)).toEqual({ encoding: 'dense-varint', bins: 4, data: Buffer.from([1, 2, 0, 4]).toString('base64') });
    for (const counts of [sparse, dense, large, [0, 0, 0], [5]]) expect(Array.from(decodeCounts(encodeCounts(counts)))).toEqual(counts);
    // A body cut inside a number, a bin past the end, bytes past the last bin
    const cut = Buffer.from(encodeCounts(large).data, 'base64').subarray(0, 8).toString('base64');
    expect(() => decodeCounts({ encoding: 'dense-varint', bins: 10, data: cut })).toThrow('dense-varint counts of 10 bins end inside a number');
    expect(() => decodeCounts({ ...encodeCounts(sparse), bins: 3 })).toThrow('sparse-varint counts name bin 3 of 3');
    expect(() => decodeCounts({ ...encodeCounts(dense), bins: 3 })).toThrow('dense-varint counts of 3 bins have bytes past the last bin');
    expect(() => decodeCounts({ encoding: 'dense-varint', bins: 1, data: Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]).toString('base64') })).toThrow('end inside a number');
  });

  it('still read counts as uint32 words, as summaries were written before the varint encodings', () => {
    const words = (values: number[]) => {
      const view = new DataView(new ArrayBuffer(values.length * 4));
      values.forEach((value, i) => view.setUint32(i * 4, value, true));
      return Buffer.from(view.buffer).toString('base64');
    };
    expect(Array.from(decodeCounts({ encoding: 'dense', bins: 4, data: words([1, 2, 0, 4]) }))).toEqual([1, 2, 0, 4]);
    expect(Array.from(decodeCounts({ encoding: 'sparse', bins: 5, data: words([1, 7, 4, 2]) }))).toEqual([0, 7, 0, 0, 2]);
    expect(() => decodeCounts({ encoding: 'dense', bins: 5, data: words([1, 2, 0, 4]) })).toThrow('dense counts of 5 bins cannot be 16 bytes');
    expect(() => decodeCounts({ encoding: 'sparse', bins: 3, data: words([3, 1]) })).toThrow('sparse counts name bin 3 of 3');
  });
});
