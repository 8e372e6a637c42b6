/**
 * A drift worker at the limit of its memory (lambdas/drift/drift-memory.ts), in a process of its own: the most numeric
 * features of 10^6 distinct baseline values its memory takes (contracts/drift-memory.ts), summarizing a chunk of random
 * rows with the bound heldValuesFor gives (ChunkSummarizer, as the worker runs it), then streaming its summary
 * document's text to a file as the worker writes it to S3 (summaryDocumentText). Then the decide step at the same
 * limit, in a process of its own: the same references, and CHUNKS copies of that summary read from the file as the
 * decide step reads them from S3 (addChunkSummaries, as many at once as summaryReadsInFlight allows). Each peak RSS is
 * reported against the memory size: the memory model is right if it stays below. A second case has few features and
 * more rows than baseline values, so each feature's line is dense.
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CaptureRecord } from '../contracts/capture-record';
import { ChunkSummarizer } from '../lambdas/drift/chunk-summarizer';
import type { NumericReference } from '../lambdas/drift/compare';
import { driftMemoryFit } from '../contracts/drift-memory';
import { heldValuesFor, summaryReadsInFlight } from '../lambdas/drift/drift-memory';
import { addChunkSummaries } from '../lambdas/drift/drift-job';
import { distinctReference } from '../lambdas/drift/statistics/ks-bins';
import { mergeWindowSummaries, summaryDocumentText, type SummaryReferences } from '../lambdas/drift/window-summary';
import { Random } from '../pipelines/common/random';
import type { BenchResult } from './bench-result';
import { runWithPeakRss } from './peak-rss';

const BASELINE_VALUES = 1_000_000;
const CASES = [
  { memoryMiB: 2048, features: 'most' as const, rows: 900_000 },
  { memoryMiB: 1024, features: 10, rows: 3_000_000 },
];
const MARKER = 'DRIFT_MEMORY_DONE';
/** Chunk summaries the decide step of each case merges. */
const CHUNKS = 8;

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

/** A child: one chunk summarized and its document streamed to `summaryFile`, as a worker of `memoryMiB` does. */
async function worker(memoryMiB: number, features: number, rows: number, summaryFile: string): Promise<void> {
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
  await pipeline(Readable.from(text.pieces()), createWriteStream(summaryFile));
  const written = statSync(summaryFile).size;
  if (written !== text.bytes) throw new Error(`the document declared ${text.bytes} bytes and streamed ${written}`);
  process.stderr.write(`${MARKER} ${JSON.stringify({ parts: summarizer.parts, documentBytes: written })}\n`);
}

/** A child: CHUNKS copies of `summaryFile` merged as the decide step of `memoryMiB` merges its chunks' summaries. */
async function decider(memoryMiB: number, features: number, rows: number, summaryFile: string): Promise<void> {
  const baseline = references(features, new Random(7));
  const inFlight = summaryReadsInFlight(memoryMiB, baseline, statSync(summaryFile).size);
  const merged = mergeWindowSummaries([]);
  const chunks = Array.from({ length: CHUNKS }, (_, chunk) => chunk);
  await addChunkSummaries(merged, chunks, inFlight, async () => createReadStream(summaryFile), (chunk) => `${summaryFile} (chunk ${chunk})`);
  if (merged.rows !== CHUNKS * rows || merged.features.length !== features) throw new Error(`merged ${merged.rows} rows of ${merged.features.length} features`);
  process.stderr.write(`${MARKER} ${JSON.stringify({ inFlight })}\n`);
}

const run = <T>(role: 'worker' | 'decider', memoryMiB: number, features: number, rows: number, summaryFile: string) =>
  runWithPeakRss<T>(__filename, [role, String(memoryMiB), String(features), String(rows), summaryFile], {}, MARKER, `the drift memory ${role}`);

export async function runDriftMemoryBench(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'drift-memory-'));
  try {
    for (const { memoryMiB, features: wanted, rows } of CASES) {
      const features = wanted === 'most' ? mostFeatures(memoryMiB) : wanted;
      const summaryFile = join(dir, `summary-${memoryMiB}.json`);
      const worked = await run<{ parts: number; documentBytes: number }>('worker', memoryMiB, features, rows, summaryFile);
      const decided = await run<{ inFlight: number }>('decider', memoryMiB, features, rows, summaryFile);
      results.push(...memoryRows(memoryMiB, features, wanted === 'most', rows, worked, decided));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

function memoryRows(
  memoryMiB: number,
  features: number,
  most: boolean,
  rows: number,
  worked: { peakRss: number; reported: { parts: number; documentBytes: number } },
  decided: { peakRss: number; reported: { inFlight: number } },
): BenchResult[] {
  const row = (role: string, what: string, peakRss: number, note: string): BenchResult => {
    const mib = peakRss / 2 ** 20;
    return {
      name: `${role} of ${memoryMiB} MB, ${features} numeric features of 10^6 baseline values, ${what}: peak RSS (MiB)`,
      ours: mib,
      reference: memoryMiB,
      ratio: memoryMiB / mib,
      unit: 'MiB',
      goal: 1,
      note:
        `reference: the function's memory, which the peak must stay under (lambdas/drift/drift-memory.ts)${most ? `; ${features} is the most its memory takes, one more is refused with a DriftMemoryError` : ''}; ` +
        note,
    };
  };
  const documentMiB = (worked.reported.documentBytes / 2 ** 20).toFixed(0);
  return [
    row('drift worker', `${rows.toLocaleString('en')} rows`, worked.peakRss, `${worked.reported.parts} parts counted into the bins, a summary of ${documentMiB} MiB streamed a feature at a time`),
    row(
      'drift decide step',
      `${CHUNKS} such summaries`,
      decided.peakRss,
      `each summary (${documentMiB} MiB) read a feature's line at a time, ${decided.reported.inFlight} at once (summaryReadsInFlight), from a file as from S3`,
    ),
  ];
}

if (require.main === module) {
  const [role, memoryMiB, features, rows, summaryFile] = process.argv.slice(2);
  (role === 'worker' ? worker : decider)(Number(memoryMiB), Number(features), Number(rows), summaryFile).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`);
    process.exit(1);
  });
}
