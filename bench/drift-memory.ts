/**
 * A drift worker at the limit of its memory (lambdas/drift/drift-memory.ts), in a process of its own: the most numeric
 * features of 10^6 distinct baseline values its memory takes (contracts/drift-memory.ts), summarizing a chunk of random
 * rows with the bound heldValuesFor gives (ChunkSummarizer, as the worker runs it), then streaming its summary
 * document's text as the worker writes it (summaryDocumentText). Its peak RSS is reported against the memory size: the
 * memory model is right if it stays below. A second row has few features and more rows than baseline values, so each
 * feature's document is dense.
 */
import type { CaptureRecord } from '../contracts/capture-record';
import { ChunkSummarizer } from '../lambdas/drift/chunk-summarizer';
import type { NumericReference } from '../lambdas/drift/compare';
import { driftMemoryFit } from '../contracts/drift-memory';
import { heldValuesFor } from '../lambdas/drift/drift-memory';
import { distinctReference } from '../lambdas/drift/statistics/ks-bins';
import { summaryDocumentText, type SummaryReferences } from '../lambdas/drift/window-summary';
import { Random } from '../pipelines/common/random';
import type { BenchResult } from './bench-result';
import { runWithPeakRss } from './drift-run';

const BASELINE_VALUES = 1_000_000;
const CASES = [
  { memoryMiB: 2048, features: 'most' as const, rows: 900_000 },
  { memoryMiB: 1024, features: 10, rows: 3_000_000 },
];
const MARKER = 'DRIFT_MEMORY_DONE';

/** `features` numeric features, each of BASELINE_VALUES distinct sorted values, as the job reads a large baseline's. */
function references(features: number, random: Random): SummaryReferences {
  const numeric = Array.from({ length: features }, (_, f): NumericReference => {
    const sorted = Float64Array.from({ length: BASELINE_VALUES }, () => f + 100 * random.uniform()).sort();
    return { type: 'numeric', name: `f${f}`, binEdges: [f + 25, f + 50, f + 75], binShares: [0.25, 0.25, 0.25, 0.25], ksSample: sorted };
  });
  return { features: numeric, distinct: new Map(numeric.map((r) => [r.name, distinctReference(r.ksSample)])) };
}

/** The most numeric features of BASELINE_VALUES distinct values the memory model lets a function of `memoryMiB` take. */
function mostFeatures(memoryMiB: number): number {
  const baseline = { values: BASELINE_VALUES, distinct: BASELINE_VALUES };
  let features = 0;
  while ('heldValues' in driftMemoryFit(memoryMiB, Array.from({ length: features + 1 }, () => baseline))) features++;
  return features;
}

/** The child: one chunk summarized and its document streamed, as a worker of `memoryMiB` does. */
async function worker(memoryMiB: number, features: number, rows: number): Promise<void> {
  const random = new Random(7);
  const baseline = references(features, random);
  const config = { task: 'regression' as const, features: baseline.features.map((f) => ({ name: f.name, type: 'numeric' as const })) };
  const summarizer = new ChunkSummarizer({ model: 'm', version: 1, config }, (read) => heldValuesFor(memoryMiB, read), async () => baseline);
  const values = new Array<number>(features);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < features; f++) values[f] = f + 110 * random.uniform();
    const record: CaptureRecord = { model: 'm', modelVersion: 1, at: '2026-12-04T00:00:00.000Z', requestId: 'r', features: values, prediction: 0.5 };
    const pending = summarizer.add(record);
    if (pending) await pending;
  }
  const summary = await summarizer.finish({ objectCount: 1, recordCount: rows, invalidLines: 0 });
  const text = summaryDocumentText(0, summary);
  let written = 0;
  for (const piece of text.pieces()) written += Buffer.byteLength(piece);
  if (written !== text.bytes) throw new Error(`the document declared ${text.bytes} bytes and streamed ${written}`);
  process.stderr.write(`${MARKER} ${JSON.stringify({ parts: summarizer.parts, documentBytes: written })}\n`);
}

async function run(memoryMiB: number, features: number, rows: number): Promise<{ peakRss: number; parts: number; documentBytes: number }> {
  const { reported, peakRss } = await runWithPeakRss<{ parts: number; documentBytes: number }>(
    __filename,
    [String(memoryMiB), String(features), String(rows)],
    {},
    MARKER,
    'the drift memory worker',
  );
  return { peakRss, ...reported };
}

export async function runDriftMemoryBench(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const { memoryMiB, features: wanted, rows } of CASES) {
    const features = wanted === 'most' ? mostFeatures(memoryMiB) : wanted;
    const { peakRss, parts, documentBytes } = await run(memoryMiB, features, rows);
    const mib = peakRss / 2 ** 20;
    results.push({
      name: `drift worker of ${memoryMiB} MB, ${features} numeric features of 10^6 baseline values, ${rows.toLocaleString('en')} rows: peak RSS (MiB)`,
      ours: mib,
      reference: memoryMiB,
      ratio: memoryMiB / mib,
      unit: 'MiB',
      note:
        `reference: the function's memory, which the peak must stay under (lambdas/drift/drift-memory.ts)${wanted === 'most' ? `; ${features} is the most its memory takes, one more is refused with a DriftMemoryError` : ''}; ` +
        `${parts} parts counted into the bins, a summary document of ${(documentBytes / 2 ** 20).toFixed(0)} MiB streamed a feature at a time`,
    });
  }
  return results;
}

if (require.main === module) {
  const [memoryMiB, features, rows] = process.argv.slice(2).map(Number);
  worker(memoryMiB, features, rows).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`);
    process.exit(1);
  });
}
