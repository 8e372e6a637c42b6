import type { ChunkSummaryDocument, EncodedCounts } from '../../contracts/drift-summary';
import type { CaptureScan } from './capture-window';
import { compareCategorical, datasetVerdict, DriftInputError, judgeNumeric, type DriftReport, type FeatureReference } from './compare';
import type { DriftThresholds } from './drift-config';
import type { ClassCounts } from './prediction-drift';
import { addBinCounts, addKsBinCounts, distinctReference, ksTestFromBinCounts, type DistinctReference } from './statistics/ks-bins';
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
 * Counts the rows `window` kept (read by `scan`) into `total`, in place: each numeric column sorted once and counted
 * straight into the total's PSI and KS bins, so a part costs its sorted copy and no bins of its own. The references
 * (the baseline) are read only when there are rows to count: a chunk of other versions' traffic, or an empty window,
 * needs no baseline.
 */
export async function addWindow(total: WindowSummary, window: WindowColumns, scan: CaptureScan, loadReferences: () => Promise<SummaryReferences>): Promise<void> {
  for (const field of ['objectCount', 'recordCount', 'invalidLines'] as const) total[field] += scan[field];
  total.rows += window.rows;
  total.wrongWidth += window.wrongWidth;
  total.unclassified += window.unclassified;
  addCounts(total.predictedClasses, window.predictedClasses);
  if (window.rows === 0) return;
  const references = await loadReferences();
  if (total.features.length === 0) total.features = references.features.map((reference) => noCounts(reference, references.distinct));
  const columns = new Map(window.columns().map((c) => [c.name, c]));
  references.features.forEach((reference, i) => {
    const into = total.features[i];
    const column = columns.get(reference.name);
    if (into?.name !== reference.name) throw new WindowSummaryError(`the summary's feature ${i} is "${into?.name}", the references' "${reference.name}"`);
    if (column?.type === 'numeric' && reference.type === 'numeric' && into.type === 'numeric') {
      const sorted = sortedCopy(column.values);
      if (sorted.length > 0 && hasNaN(sorted)) throw new WindowSummaryError(`feature "${reference.name}" has non-numeric current values`);
      into.count += sorted.length;
      addBinCounts(into.psiCounts, binCountsSorted(sorted, reference.binEdges));
      addKsBinCounts(into.ksCounts, references.distinct.get(reference.name)!, sorted);
    } else if (column?.type === 'categorical' && reference.type === 'categorical' && into.type === 'categorical') addCounts(into.counts, column.counts);
    else throw new WindowSummaryError(`feature "${reference.name}" is ${reference.type} in the baseline but ${column?.type ?? 'missing'} in the drift config`);
  });
}

/** A feature's summary of no rows, on its reference's bins (PSI's edges + 1, KS's 2n + 1 for n distinct values). */
const noCounts = (reference: FeatureReference, distinct: SummaryReferences['distinct']): FeatureSummary =>
  reference.type === 'numeric'
    ? {
        name: reference.name,
        type: 'numeric',
        count: 0,
        psiCounts: new Float64Array(reference.binEdges.length + 1),
        ksCounts: new Float64Array(2 * distinct.get(reference.name)!.values.length + 1),
      }
    : { name: reference.name, type: 'categorical', counts: {} };

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

/** The summary of the union of the parts (addWindowSummary of each into the summary of no rows). */
export function mergeWindowSummaries(parts: readonly WindowSummary[]): WindowSummary {
  const total: WindowSummary = { objectCount: 0, recordCount: 0, invalidLines: 0, rows: 0, wrongWidth: 0, unclassified: 0, predictedClasses: classCounts({}), features: [] };
  for (const part of parts) addWindowSummary(total, part);
  return total;
}

const U32 = 4;

/** How counts are encoded: dense, or as (bin, count) pairs when that is shorter (a chunk fills few of 2n + 1 bins); its size in uint32 words. */
function countsEncoding(counts: ArrayLike<number>): { sparse: boolean; words: number } {
  let nonZero = 0;
  for (let b = 0; b < counts.length; b++) if (counts[b] > 0) nonZero++;
  const sparse = 2 * nonZero < counts.length;
  return { sparse, words: sparse ? 2 * nonZero : counts.length };
}

/** Counts as little-endian uint32, dense or as (bin, count) pairs, whichever is shorter (countsEncoding). */
export function encodeCounts(counts: ArrayLike<number>): EncodedCounts {
  const { sparse, words } = countsEncoding(counts);
  const view = new DataView(new ArrayBuffer(words * U32));
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
  return { ...documentHead(chunk, summary), features: summary.features.map((f) => (f.type === 'numeric' ? { ...numericHead(f), ksCounts: encodeCounts(f.ksCounts) } : f)) };
}

/**
 * summaryDocument's JSON text in pieces, and its length in bytes: a numeric feature's KS counts are encoded only when
 * its piece is read, so a worker writing its summary holds one feature's encoding at a time, not every feature's and
 * then the whole text (for a baseline of 10^6 distinct values, 10 MB of base64 a feature). The pieces joined are
 * JSON.stringify(summaryDocument(chunk, summary)).
 */
export function summaryDocumentText(chunk: number, summary: WindowSummary): { bytes: number; pieces: () => Generator<string> } {
  // The head's text without its closing "]}": its features follow, comma-separated.
  const head = JSON.stringify({ ...documentHead(chunk, summary), features: [] }).slice(0, -2);
  const features = summary.features.map((f) => {
    if (f.type === 'categorical') {
      const text = JSON.stringify(f);
      return { bytes: Buffer.byteLength(text), text: () => text };
    }
    // The feature's text with empty data, the base64 of its encoded words spliced in before the closing '"}}'.
    const { sparse, words } = countsEncoding(f.ksCounts);
    const template = JSON.stringify({ ...numericHead(f), ksCounts: { encoding: sparse ? 'sparse' : 'dense', bins: f.ksCounts.length, data: '' } });
    const base64Chars = 4 * Math.ceil((words * U32) / 3);
    return { bytes: Buffer.byteLength(template) + base64Chars, text: () => template.slice(0, -3) + encodeCounts(f.ksCounts).data + template.slice(-3) };
  });
  const bytes = Buffer.byteLength(head) + features.reduce((sum, f) => sum + f.bytes, 0) + Math.max(0, features.length - 1) + 2;
  function* pieces(): Generator<string> {
    yield head;
    for (const [i, feature] of features.entries()) yield (i > 0 ? ',' : '') + feature.text();
    yield ']}';
  }
  return { bytes, pieces };
}

/** A document's fields before its features, in the order contracts/drift-summary.ts lists them. */
const documentHead = (chunk: number, summary: WindowSummary): Omit<ChunkSummaryDocument, 'features'> => ({
  chunk,
  objectCount: summary.objectCount,
  recordCount: summary.recordCount,
  invalidLines: summary.invalidLines,
  rows: summary.rows,
  wrongWidth: summary.wrongWidth,
  unclassified: summary.unclassified,
  predictedClasses: { ...summary.predictedClasses },
});

/** A numeric feature's document fields before its KS counts. */
const numericHead = (f: Extract<FeatureSummary, { type: 'numeric' }>) => ({ name: f.name, type: f.type, count: f.count, psiCounts: Array.from(f.psiCounts) });

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
