import type { ChunkSummaryDocument, EncodedCounts } from '../../contracts/drift-summary';
import type { CaptureScan } from './capture-window';
import { compareCategorical, datasetVerdict, DriftInputError, judgeNumeric, type DriftReport, type FeatureReference } from './compare';
import type { DriftThresholds } from './drift-config';
import type { ClassCounts } from './prediction-drift';
import { addBinCounts, distinctReference, ksBinCounts, ksTestFromBinCounts, type DistinctReference } from './statistics/ks-bins';
import { hasNaN, sortedCopy } from './statistics/ks';
import { binCountsSorted, psiFromShares, sharesOf } from './statistics/psi';
import type { WindowColumns } from './window-columns';

/**
 * What a drift run keeps of a part of the capture window (one chunk of objects, or the whole window): counts that
 * add up exactly across parts, so the merged summary of N chunks is the summary of their union and the verdicts
 * drawn from it are the single pass's (see ks-bins.ts for KS, PSI and chi-squared are counts per bin or category).
 * A numeric feature costs its PSI bins and its baseline's 2n + 1 KS bins, whatever the part's size.
 */
export type FeatureSummary =
  | { name: string; type: 'numeric'; count: number; psiCounts: Float64Array; ksCounts: Float64Array }
  | { name: string; type: 'categorical'; counts: Record<string, number> };

export interface WindowSummary extends CaptureScan {
  rows: number;
  wrongWidth: number;
  unclassified: number;
  predictedClasses: ClassCounts;
  features: FeatureSummary[];
}

/** A summary's baseline side: the references, and each numeric feature's distinct sorted values (its KS bins). */
export interface SummaryReferences {
  readonly features: readonly FeatureReference[];
  readonly distinct: ReadonlyMap<string, DistinctReference>;
}

export function summaryReferences(features: readonly FeatureReference[]): SummaryReferences {
  const distinct = new Map<string, DistinctReference>();
  for (const f of features) if (f.type === 'numeric') distinct.set(f.name, distinctReference(f.ksSample));
  return { features, distinct };
}

/** A non-numeric value cannot be binned; JSON and the capture schema give none, but a summary must not hide one. */
class WindowSummaryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WindowSummaryError';
  }
}

/**
 * The summary of the rows `window` kept (read by `scan`): each numeric column sorted once and counted into its bins.
 * The references (the baseline) are read only when there are rows to count: a chunk of other versions' traffic, or
 * an empty window, needs no baseline.
 */
export async function summarizeWindow(window: WindowColumns, scan: CaptureScan, loadReferences: () => Promise<SummaryReferences>): Promise<WindowSummary> {
  const counts = { rows: window.rows, wrongWidth: window.wrongWidth, unclassified: window.unclassified, predictedClasses: classCounts(window.predictedClasses) };
  if (window.rows === 0) return { ...emptySummary(scan), ...counts };
  const references = await loadReferences();
  const columns = new Map(window.columns().map((c) => [c.name, c]));
  const features = references.features.map((reference): FeatureSummary => {
    const column = columns.get(reference.name);
    if (column?.type === 'numeric' && reference.type === 'numeric') {
      const sorted = sortedCopy(column.values);
      if (sorted.length > 0 && hasNaN(sorted)) throw new WindowSummaryError(`feature "${reference.name}" has non-numeric current values`);
      return {
        name: reference.name,
        type: 'numeric',
        count: sorted.length,
        psiCounts: Float64Array.from(binCountsSorted(sorted, reference.binEdges)),
        ksCounts: Float64Array.from(ksBinCounts(references.distinct.get(reference.name)!, sorted)),
      };
    }
    if (column?.type === 'categorical' && reference.type === 'categorical') return { name: reference.name, type: 'categorical', counts: { ...column.counts } };
    throw new WindowSummaryError(`feature "${reference.name}" is ${reference.type} in the baseline but ${column?.type ?? 'missing'} in the drift config`);
  });
  return { ...scan, ...counts, features };
}

/** A copy without a prototype: a class may be called "constructor". */
const classCounts = (counts: ClassCounts): ClassCounts => Object.assign(Object.create(null) as ClassCounts, counts);

function addCounts(total: Record<string, number>, part: Record<string, number>): void {
  for (const [key, count] of Object.entries(part)) total[key] = (total[key] ?? 0) + count;
}

/** The numeric and categorical summaries copied, so merging into them leaves the part as it was. */
const copyFeatures = (features: readonly FeatureSummary[]): FeatureSummary[] =>
  features.map((f) =>
    f.type === 'numeric' ? { ...f, psiCounts: Float64Array.from(f.psiCounts), ksCounts: Float64Array.from(f.ksCounts) } : { ...f, counts: { ...f.counts } },
  );

/**
 * Adds `part`'s counts into `total`, in place: every count added (exact: integers far below 2^53). A part without rows
 * carries no feature summaries (its worker read no baseline) and adds only its scan counts. `part` is left as it was
 * (the first features added are copied), so a running total costs one summary, not one per part. A part may be a
 * chunk's document as read: its KS counts are added from their encoding, so a sparse one costs its pairs, not the
 * 2n + 1 bins a decoded copy would.
 */
export function addWindowSummary(total: WindowSummary, part: WindowSummary | ChunkSummaryDocument): void {
  for (const field of ['objectCount', 'recordCount', 'invalidLines', 'rows', 'wrongWidth', 'unclassified'] as const) total[field] += part[field];
  addCounts(total.predictedClasses, part.predictedClasses);
  if (part.features.length === 0) return;
  if (total.features.length === 0) {
    total.features = 'chunk' in part ? summaryFromDocument(part).features : copyFeatures(part.features);
    return;
  }
  if (part.features.length !== total.features.length) throw new WindowSummaryError(`chunk summaries of ${total.features.length} and ${part.features.length} features`);
  part.features.forEach((f, i) => {
    const into = total.features[i];
    if (f.name !== into.name || f.type !== into.type) throw new WindowSummaryError(`chunk summaries differ at feature ${i}: "${into.name}" and "${f.name}"`);
    if (f.type === 'numeric' && into.type === 'numeric') {
      into.count += f.count;
      addBinCounts(into.psiCounts, f.psiCounts);
      if (f.ksCounts instanceof Float64Array) addBinCounts(into.ksCounts, f.ksCounts);
      else addEncodedCounts(into.ksCounts, f.ksCounts);
    } else if (f.type === 'categorical' && into.type === 'categorical') addCounts(into.counts, f.counts);
  });
}

/** The summary of the union of the parts (addWindowSummary of each into an empty one). */
export function mergeWindowSummaries(parts: readonly WindowSummary[]): WindowSummary {
  const total: WindowSummary = emptySummary();
  for (const part of parts) addWindowSummary(total, part);
  return total;
}

/** The summary of no rows: what a chunk without rows of the served version gives, and the start of a merge. */
function emptySummary(scan: CaptureScan = { objectCount: 0, recordCount: 0, invalidLines: 0 }): WindowSummary {
  return { ...scan, rows: 0, wrongWidth: 0, unclassified: 0, predictedClasses: classCounts({}), features: [] };
}

const U32 = 4;

/** Counts as little-endian uint32, dense or as (bin, count) pairs, whichever is shorter (a chunk fills few of 2n + 1 bins). */
export function encodeCounts(counts: ArrayLike<number>): EncodedCounts {
  let nonZero = 0;
  for (let b = 0; b < counts.length; b++) if (counts[b] > 0) nonZero++;
  const sparse = 2 * nonZero < counts.length;
  const view = new DataView(new ArrayBuffer((sparse ? 2 * nonZero : counts.length) * U32));
  let at = 0;
  for (let b = 0; b < counts.length; b++) {
    if (sparse && counts[b] === 0) continue;
    if (sparse) view.setUint32((at++) * U32, b, true);
    view.setUint32((at++) * U32, counts[b], true);
  }
  return { encoding: sparse ? 'sparse' : 'dense', bins: counts.length, data: Buffer.from(view.buffer).toString('base64') };
}

/** Adds encoded counts into `into` (a sparse encoding costs its pairs); the bin counts must agree. */
function addEncodedCounts(into: Float64Array, encoded: EncodedCounts): void {
  if (encoded.bins !== into.length) throw new RangeError(`KS bin counts of different references: ${into.length} and ${encoded.bins} bins`);
  const bytes = Buffer.from(encoded.data, 'base64');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const words = bytes.byteLength / U32;
  const shape = encoded.encoding === 'dense' ? words === encoded.bins : Number.isInteger(words / 2);
  if (!shape) throw new WindowSummaryError(`${encoded.encoding} counts of ${encoded.bins} bins cannot be ${bytes.byteLength} bytes`);
  if (encoded.encoding === 'dense') for (let b = 0; b < words; b++) into[b] += view.getUint32(b * U32, true);
  else {
    for (let w = 0; w < words; w += 2) {
      const bin = view.getUint32(w * U32, true);
      if (bin >= encoded.bins) throw new WindowSummaryError(`sparse counts name bin ${bin} of ${encoded.bins}`);
      into[bin] += view.getUint32((w + 1) * U32, true);
    }
  }
}

export function decodeCounts(encoded: EncodedCounts): Float64Array {
  const counts = new Float64Array(encoded.bins);
  addEncodedCounts(counts, encoded);
  return counts;
}

/** The document a worker writes (contracts/drift-summary.ts). */
export function summaryDocument(chunk: number, summary: WindowSummary): ChunkSummaryDocument {
  return {
    chunk,
    objectCount: summary.objectCount,
    recordCount: summary.recordCount,
    invalidLines: summary.invalidLines,
    rows: summary.rows,
    wrongWidth: summary.wrongWidth,
    unclassified: summary.unclassified,
    predictedClasses: { ...summary.predictedClasses },
    features: summary.features.map((f) =>
      f.type === 'numeric' ? { name: f.name, type: f.type, count: f.count, psiCounts: Array.from(f.psiCounts), ksCounts: encodeCounts(f.ksCounts) } : f,
    ),
  };
}

export function summaryFromDocument(document: ChunkSummaryDocument): WindowSummary {
  const { chunk: _chunk, ...counts } = document;
  return {
    ...counts,
    predictedClasses: classCounts(document.predictedClasses),
    features: document.features.map((f) =>
      f.type === 'numeric' ? { ...f, psiCounts: Float64Array.from(f.psiCounts), ksCounts: decodeCounts(f.ksCounts) } : f,
    ),
  };
}

/**
 * The per-feature verdicts and the dataset verdict of a (merged) summary: compareFeatures' verdicts on the rows it
 * counts, drawn from the counts alone (PSI over the same bin counts, KS by ksTestFromBinCounts, chi-squared over the
 * same category counts).
 */
export function compareSummary(references: SummaryReferences, summary: WindowSummary, t: DriftThresholds): DriftReport {
  const byName = new Map(summary.features.map((f) => [f.name, f]));
  const features = references.features.map((reference) => {
    const current = byName.get(reference.name);
    if (!current) throw new DriftInputError(`feature "${reference.name}" has no current values`);
    if (reference.type === 'numeric' && current.type === 'numeric') {
      if (current.count === 0) throw new DriftInputError(`feature "${reference.name}" has no current values`);
      const psi = psiFromShares(reference.binShares, sharesOf(Array.from(current.psiCounts)));
      const ks = ksTestFromBinCounts(references.distinct.get(reference.name)!, current.ksCounts);
      return judgeNumeric(reference.name, current.count, psi, ks, t);
    }
    if (reference.type === 'categorical' && current.type === 'categorical') return compareCategorical(reference, current.counts, t);
    throw new DriftInputError(`feature "${reference.name}" is ${reference.type} in the baseline but ${current.type} in the current data`);
  });
  return datasetVerdict(features, t);
}
