/**
 * The drift run's decide step merging its chunks' summaries, side by side in one run: each chunk's text streamed and
 * added into the total a feature's line at a time, its KS counts straight from their encoding (what decide does:
 * addChunkSummaries), against parsing each whole and decoding it into a summary of its own first (every KS bin of
 * every numeric feature in a new array) and adding that. The texts are real chunk summaries: CHUNKS windows of
 * ROWS_PER_CHUNK rows of FEATURES numeric features, sorted and counted into the bins of a baseline of BASELINE_VALUES
 * distinct values, written as a worker writes them. Both totals are checked equal before any figure is printed.
 */
import { Readable } from 'node:stream';
import { chunkSummarySchema } from '../contracts/drift-summary';
import { addChunkSummaries } from '../lambdas/drift/drift-job';
import { sortedCopy } from '../lambdas/drift/statistics/ks';
import { distinctReference, ksBinCounts } from '../lambdas/drift/statistics/ks-bins';
import {
  addWindowSummary,
  decodeCounts,
  mergeWindowSummaries,
  summaryDocument,
  summaryDocumentText,
  summaryFromDocument,
  type WindowSummary,
} from '../lambdas/drift/window-summary';
import { Random } from '../pipelines/common/random';
import type { BenchResult } from './bench-result';

const CHUNKS = 100;
const ROWS_PER_CHUNK = 50_000;
const FEATURES = 3;
const BASELINE_VALUES = 1_000_000;
const ROUNDS = 3;

function normals(n: number, random: Random): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = random.normal();
  return out;
}

/** The chunk summaries' texts, as a worker writes them. */
function chunkTexts(): string[] {
  const random = new Random(7);
  const reference = distinctReference(sortedCopy(normals(BASELINE_VALUES, random)));
  return Array.from({ length: CHUNKS }, (_, chunk) => {
    const summary: WindowSummary = {
      objectCount: 1,
      recordCount: ROWS_PER_CHUNK,
      invalidLines: 0,
      rows: ROWS_PER_CHUNK,
      wrongWidth: 0,
      unclassified: 0,
      predictedClasses: {},
      features: Array.from({ length: FEATURES }, (_, f) => ({
        name: `x${f}`,
        type: 'numeric' as const,
        count: ROWS_PER_CHUNK,
        psiCounts: new Float64Array(10),
        ksCounts: ksBinCounts(reference, sortedCopy(normals(ROWS_PER_CHUNK, random))),
      })),
    };
    return [...summaryDocumentText(chunk, summary).pieces()].join('');
  });
}

async function timed(merge: () => Promise<WindowSummary>): Promise<{ ms: number; total: WindowSummary }> {
  let best = Infinity;
  let total = await merge();
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    total = await merge();
    best = Math.min(best, performance.now() - start);
  }
  return { ms: best, total };
}

export async function runDecideMergeBench(): Promise<BenchResult[]> {
  const texts = chunkTexts();
  const chunks = texts.map((_, chunk) => chunk);
  const asRead = await timed(async () => {
    const total = mergeWindowSummaries([]);
    await addChunkSummaries(total, chunks, 1, async (chunk) => Readable.from([Buffer.from(texts[chunk])]), (chunk) => `chunk ${chunk}`);
    return total;
  });
  const decodedFirst = await timed(async () => {
    const total = mergeWindowSummaries([]);
    for (const text of texts) addWindowSummary(total, summaryFromDocument(chunkSummarySchema.parse(JSON.parse(text))));
    return total;
  });
  if (JSON.stringify(summaryDocument(0, asRead.total)) !== JSON.stringify(summaryDocument(0, decodedFirst.total))) {
    throw new Error('the decide step\'s merge as read differs from the merge of decoded summaries');
  }
  const numeric = texts.flatMap((text) => chunkSummarySchema.parse(JSON.parse(text)).features.flatMap((f) => (f.type === 'numeric' ? [f] : [])));
  const encodings = new Set(numeric.map((f) => f.ksCounts.encoding));
  // What the documents' KS counts take as written, against uint32 words (how they were written before the varints).
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  const stored = numeric.reduce((sum, f) => sum + f.ksCounts.data.length, 0);
  const asWords = numeric.reduce((sum, f) => {
    const nonZero = decodeCounts(f.ksCounts).reduce((n, count) => n + +(count > 0), 0);
    return sum + 4 * Math.ceil((4 * Math.min(2 * nonZero, f.ksCounts.bins)) / 3);
  }, 0);
  return [
    {
      name: `drift decide: merging ${CHUNKS} chunk summaries (${FEATURES} numeric features, ${BASELINE_VALUES.toLocaleString('en')} baseline values)`,
      ours: asRead.ms,
      reference: decodedFirst.ms,
      ratio: decodedFirst.ms / asRead.ms,
      unit: 'ms',
      note: `ours: each summary streamed and added a feature's line at a time, KS counts from their ${[...encodings].join('/')} encoding (${mib(stored)} MiB of base64 in all, ${mib(asWords)} MiB as uint32 words); reference: each parsed whole and decoded into a summary of its own first; ${ROWS_PER_CHUNK.toLocaleString('en')} rows a chunk; best of ${ROUNDS}; same total`,
    },
  ];
}
