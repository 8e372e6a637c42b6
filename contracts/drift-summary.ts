/**
 * A drift run split over a Distributed Map: the chunks of the capture window that the plan step lists, and the
 * summary each chunk's worker writes.
 * Producers: the drift job's plan step writes `chunks.json` (lambdas/drift/drift-job.ts); each Distributed Map child
 * writes its chunk's summary (lambdas/drift/summarize-chunk.handler.ts).
 * Consumers: the Distributed Map's item reader (lib/drift-monitor.ts reads `chunks.json`), the workers (one chunk
 * each) and the decide step, which merges every summary (lambdas/drift/decide.handler.ts).
 */
import { z } from 'zod';

/** Capture object bytes (as stored) one function summarizes, unless the DriftMonitor's bytesPerChunk says otherwise. */
export const DEFAULT_BYTES_PER_CHUNK = 64 * 1024 * 1024;

/** Where drift runs keep their intermediate objects; the artifact store expires them (ArtifactStoreProps.driftRunRetention). */
export const DRIFT_RUNS_PREFIX = 'drift-runs/';
/** Everything one drift run (one state machine execution) leaves: its chunk list and its chunks' summaries. */
export const driftRunPrefix = (model: string, execution: string) => `${DRIFT_RUNS_PREFIX}${model}/${execution}/`;
/** The JSON array of DriftChunk the Distributed Map reads. */
export const driftChunksKey = (model: string, execution: string) => `${driftRunPrefix(model, execution)}chunks.json`;
export const driftSummariesPrefix = (model: string, execution: string) => `${driftRunPrefix(model, execution)}summaries/`;
export const driftSummaryKey = (model: string, execution: string, chunk: number) =>
  `${driftSummariesPrefix(model, execution)}chunk-${String(chunk).padStart(5, '0')}.json`;

/** One chunk of a capture window: whole capture objects, and what every chunk of the run shares. */
export const driftChunkSchema = z.object({
  /** 0-based; names the chunk's summary object. */
  chunk: z.number().int().min(0),
  /** Capture object keys of the artifact store. */
  keys: z.array(z.string().min(1)).min(1),
  /** The served version whose rows are compared, and its baseline. */
  version: z.number().int().positive(),
  baselineUri: z.string().startsWith('s3://'),
  /** The window [start, end] (ISO 8601): records requested outside it are passed over. */
  windowStart: z.iso.datetime(),
  windowEnd: z.iso.datetime(),
  /** The execution's name: the run's objects live under driftRunPrefix(model, execution). */
  execution: z.string().min(1),
});
export type DriftChunk = z.infer<typeof driftChunkSchema>;

/**
 * Counts in base64: `dense-varint` is every bin's count in bin order as unsigned LEB128 varints, `sparse-varint` is a
 * (gap, count) pair of varints per non-zero bin in ascending bin order, the gap being the empty bins since the last
 * non-zero one (or since the start); a writer picks the shorter. `dense` and `sparse`, the same as little-endian
 * unsigned 32-bit words ((bin, count) pairs for `sparse`), are how earlier writers encoded them, and are still read.
 */
export const encodedCountsSchema = z.object({
  encoding: z.enum(['dense-varint', 'sparse-varint', 'dense', 'sparse']),
  bins: z.number().int().min(1),
  data: z.base64(),
});
export type EncodedCounts = z.infer<typeof encodedCountsSchema>;

const countSchema = z.number().int().min(0);

/**
 * A numeric feature's summary: counts in the baseline's PSI bins (binEdges.length + 1) and in its KS bins (2n + 1 for
 * the n distinct values of its sorted values; lambdas/drift/statistics/ks-bins.ts). Both add up exactly across chunks.
 */
const numericFeatureSummarySchema = z.object({
  name: z.string(),
  type: z.literal('numeric'),
  count: countSchema,
  psiCounts: z.array(countSchema),
  ksCounts: encodedCountsSchema,
});

/** A categorical feature's summary: the count of each category code, keyed by String(value). */
const categoricalFeatureSummarySchema = z.object({
  name: z.string(),
  type: z.literal('categorical'),
  counts: z.record(z.string(), countSchema),
});

/** A feature's summary, numeric or categorical: one line of a chunk summary's text. */
export const featureSummarySchema = z.discriminatedUnion('type', [numericFeatureSummarySchema, categoricalFeatureSummarySchema]);

/**
 * What a worker writes at driftSummaryKey: its chunk's summary, in the model's feature order. One JSON document, laid
 * out a feature a line so that a reader can hold one feature's counts at a time (a numeric feature's KS counts are up
 * to megabytes): the first line is the document up to its features' opening bracket (`{"chunk":0,...,"features":[`),
 * then one line per feature, each but the last ending with its comma, then `]}`. Summaries written before this layout
 * are the same document on one line.
 */
export const chunkSummarySchema = z.object({
  chunk: z.number().int().min(0),
  /** Capture objects read, records in the window, lines that were no capture record. */
  objectCount: countSchema,
  recordCount: countSchema,
  invalidLines: countSchema,
  /** Rows of the served version compared; rows of it with the wrong feature count. */
  rows: countSchema,
  wrongWidth: countSchema,
  /** Rows without a predicted class, and the count of each predicted class. */
  unclassified: countSchema,
  predictedClasses: z.record(z.string(), countSchema),
  features: z.array(featureSummarySchema),
});
export type ChunkSummaryDocument = z.infer<typeof chunkSummarySchema>;
/** A chunk summary's first line, its features' bracket closed: the counts of its scan, with no features. */
export const chunkSummaryHeadSchema = chunkSummarySchema.extend({ features: z.tuple([]) });
