import type { z } from 'zod';
import { chunkSummaryHeadSchema, chunkSummarySchema, featureSummarySchema, type ChunkSummaryDocument, type EncodedCounts } from '../../contracts/drift-summary';
import { formatIssues } from '../../contracts/validation-issues';
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

/**
 * Adds `part`'s counts into `total`, in place: every count added (exact: integers far below 2^53). A part without rows
 * carries no feature summaries (its worker read no baseline) and adds only its scan counts. `part` is left as it was
 * (the first features added are copied), so a running total costs one summary, not one per part. A chunk's summary as
 * read is added by addSummaryText, a feature's line at a time.
 */
export function addWindowSummary(total: WindowSummary, part: WindowSummary): void {
  addSummaryHead(total, part);
  if (part.features.length === 0) return;
  if (total.features.length > 0 && part.features.length !== total.features.length) {
    throw new WindowSummaryError(`chunk summaries of ${total.features.length} and ${part.features.length} features`);
  }
  part.features.forEach((f, i) => addFeatureSummary(total, i, f));
}

/** Adds a part's scan counts (everything but its features) into `total`. */
function addSummaryHead(total: WindowSummary, part: Omit<WindowSummary | ChunkSummaryDocument, 'features'>): void {
  for (const field of ['objectCount', 'recordCount', 'invalidLines', 'rows', 'wrongWidth', 'unclassified'] as const) total[field] += part[field];
  addCounts(total.predictedClasses, part.predictedClasses);
}

type DocumentFeature = ChunkSummaryDocument['features'][number];

/**
 * Adds a part's feature `index` into the total's, or makes a copy of it the total's when the total has features up to
 * `index` only: parts read at once add their features in order, each into whichever part's copy came first.
 */
function addFeatureSummary(total: WindowSummary, index: number, f: FeatureSummary | DocumentFeature): void {
  const into = total.features[index];
  if (into === undefined) {
    if (index !== total.features.length) throw new WindowSummaryError(`a chunk summary's feature ${index} came before the total's feature ${total.features.length}`);
    total.features.push(featureCopy(f));
    return;
  }
  if (f.name !== into.name || f.type !== into.type) throw new WindowSummaryError(`chunk summaries differ at feature ${index}: "${into.name}" and "${f.name}"`);
  if (f.type === 'numeric' && into.type === 'numeric') {
    into.count += f.count;
    addBinCounts(into.psiCounts, f.psiCounts);
    if (f.ksCounts instanceof Float64Array) addBinCounts(into.ksCounts, f.ksCounts);
    else addEncodedCounts(into.ksCounts, f.ksCounts);
  } else if (f.type === 'categorical' && into.type === 'categorical') addCounts(into.counts, f.counts);
}

/** A feature's summary as counts of its own: merging into it leaves the part as it was. */
const featureCopy = (f: FeatureSummary | DocumentFeature): FeatureSummary =>
  f.type === 'numeric'
    ? { ...f, psiCounts: Float64Array.from(f.psiCounts), ksCounts: f.ksCounts instanceof Float64Array ? Float64Array.from(f.ksCounts) : decodeCounts(f.ksCounts) }
    : { ...f, counts: { ...f.counts } };

/** The summary of the union of the parts (addWindowSummary of each into the summary of no rows). */
export function mergeWindowSummaries(parts: readonly WindowSummary[]): WindowSummary {
  const total: WindowSummary = { objectCount: 0, recordCount: 0, invalidLines: 0, rows: 0, wrongWidth: 0, unclassified: 0, predictedClasses: classCounts({}), features: [] };
  for (const part of parts) addWindowSummary(total, part);
  return total;
}

/**
 * How counts are encoded, and their size in bytes: unsigned LEB128 varints (7 bits a byte), one per bin
 * (`dense-varint`), or a (gap, count) pair per non-zero bin, the gap being the empty bins since the last non-zero one
 * (`sparse-varint`), whichever is shorter. A chunk's counts are small and, against a baseline of many values, spread
 * over few of its 2n + 1 bins: a byte or two a bin, where uint32 words took 4 or 8.
 */
function countsEncoding(counts: ArrayLike<number>): { encoding: 'dense-varint' | 'sparse-varint'; bytes: number } {
  let dense = 0;
  let sparse = 0;
  let last = -1;
  for (let b = 0; b < counts.length; b++) {
    const count = counts[b];
    dense += varintBytes(count);
    if (count > 0) {
      sparse += varintBytes(b - last - 1) + varintBytes(count);
      last = b;
    }
  }
  return sparse < dense ? { encoding: 'sparse-varint', bytes: sparse } : { encoding: 'dense-varint', bytes: dense };
}

const varintBytes = (value: number): number => (value < 2 ** 7 ? 1 : value < 2 ** 14 ? 2 : value < 2 ** 21 ? 3 : value < 2 ** 28 ? 4 : 5);

/** Counts (each below 2^32) as varints, dense or sparse, whichever is shorter (countsEncoding), in base64. */
export function encodeCounts(counts: ArrayLike<number>): EncodedCounts {
  const { encoding, bytes } = countsEncoding(counts);
  const out = Buffer.allocUnsafe(bytes);
  let at = 0;
  const put = (value: number) => {
    for (; value >= 0x80; value >>>= 7) out[at++] = (value & 0x7f) | 0x80;
    out[at++] = value;
  };
  let last = -1;
  for (let b = 0; b < counts.length; b++) {
    if (encoding === 'dense-varint') put(counts[b]);
    else if (counts[b] > 0) {
      put(b - last - 1);
      put(counts[b]);
      last = b;
    }
  }
  return { encoding, bins: counts.length, data: out.toString('base64') };
}

/** Adds encoded counts into `into` (a sparse encoding costs its non-zero bins); the bin counts must agree. */
function addEncodedCounts(into: Float64Array, encoded: EncodedCounts): void {
  if (encoded.bins !== into.length) throw new RangeError(`KS bin counts of different references: ${into.length} and ${encoded.bins} bins`);
  const bytes = base64Bytes(encoded.data);
  if (encoded.encoding === 'dense' || encoded.encoding === 'sparse') return addUint32Counts(into, encoded.encoding, bytes);
  const reader = new VarintReader(bytes, encoded);
  if (encoded.encoding === 'dense-varint') {
    for (let b = 0; b < encoded.bins; b++) into[b] += reader.next();
    if (!reader.done()) throw new WindowSummaryError(`dense-varint counts of ${encoded.bins} bins have bytes past the last bin`);
    return;
  }
  for (let last = -1; !reader.done(); ) {
    const bin = last + 1 + reader.next();
    if (bin >= encoded.bins) throw new WindowSummaryError(`sparse-varint counts name bin ${bin} of ${encoded.bins}`);
    into[bin] += reader.next();
    last = bin;
  }
}

/**
 * Decodes base64 into one scratch buffer that every call reuses: the counts are added within the synchronous call that
 * decodes them, and a buffer a feature's line would be garbage the size of its counts, a line after another.
 */
let scratch = Buffer.alloc(0);
function base64Bytes(data: string): Buffer {
  const most = Math.ceil((data.length * 3) / 4);
  if (scratch.length < most) scratch = Buffer.allocUnsafe(Math.max(most, 2 * scratch.length));
  return scratch.subarray(0, scratch.write(data, 0, 'base64'));
}

/** Unsigned LEB128 varints of below 2^35, read one after another; a value of one byte (most counts and gaps) takes the short path. */
class VarintReader {
  private at = 0;
  constructor(
    private readonly bytes: Buffer,
    private readonly encoded: EncodedCounts,
  ) {}

  done(): boolean {
    return this.at === this.bytes.length;
  }

  next(): number {
    const byte = this.bytes[this.at];
    if (byte < 0x80) {
      this.at++;
      return byte;
    }
    return this.long();
  }

  private long(): number {
    let value = 0;
    for (let scale = 1; ; scale *= 0x80) {
      if (this.at >= this.bytes.length || scale > 2 ** 28) throw new WindowSummaryError(`${this.encoded.encoding} counts of ${this.encoded.bins} bins end inside a number`);
      const byte = this.bytes[this.at++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
    }
  }
}

const U32 = 4;

/**
 * Counts as little-endian uint32 words, every bin's (`dense`) or (bin, count) pairs (`sparse`): how summaries were
 * written before the varint encodings. Still read, so a run whose workers ran the code before an upgrade and whose
 * decide step runs the code after it still decides.
 */
function addUint32Counts(into: Float64Array, encoding: 'dense' | 'sparse', bytes: Buffer): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const words = bytes.byteLength / U32;
  const shape = encoding === 'dense' ? words === into.length : Number.isInteger(words / 2);
  if (!shape) throw new WindowSummaryError(`${encoding} counts of ${into.length} bins cannot be ${bytes.byteLength} bytes`);
  if (encoding === 'dense') for (let b = 0; b < words; b++) into[b] += view.getUint32(b * U32, true);
  else {
    for (let w = 0; w < words; w += 2) {
      const bin = view.getUint32(w * U32, true);
      if (bin >= into.length) throw new WindowSummaryError(`sparse counts name bin ${bin} of ${into.length}`);
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
 * summaryDocument's JSON text in pieces, a feature a line (contracts/drift-summary.ts' layout), and its length in bytes:
 * a numeric feature's KS counts are encoded only when its piece is read, so a worker writing its summary holds one
 * feature's encoding at a time, not every feature's and then the whole text (for a baseline of 10^6 distinct values,
 * megabytes of base64 a feature). The pieces joined parse to summaryDocument(chunk, summary).
 */
export function summaryDocumentText(chunk: number, summary: WindowSummary): { bytes: number; pieces: () => Generator<string> } {
  // The head's text without its closing "]}": its features follow, a line each.
  const head = `${JSON.stringify({ ...documentHead(chunk, summary), features: [] }).slice(0, -2)}\n`;
  const features = summary.features.map((f, i) => {
    const separator = i < summary.features.length - 1 ? ',\n' : '\n';
    if (f.type === 'categorical') {
      const text = JSON.stringify(f) + separator;
      return { bytes: Buffer.byteLength(text), text: () => text };
    }
    // The feature's text with empty data, the base64 of its encoded counts spliced in before the closing '"}}'.
    const { encoding, bytes } = countsEncoding(f.ksCounts);
    const template = JSON.stringify({ ...numericHead(f), ksCounts: { encoding, bins: f.ksCounts.length, data: '' } }) + separator;
    const close = -3 - separator.length;
    const base64Chars = 4 * Math.ceil(bytes / 3);
    return { bytes: Buffer.byteLength(template) + base64Chars, text: () => template.slice(0, close) + encodeCounts(f.ksCounts).data + template.slice(close) };
  });
  const bytes = Buffer.byteLength(head) + features.reduce((sum, f) => sum + f.bytes, 0) + CLOSING_LINE.length;
  function* pieces(): Generator<string> {
    yield head;
    for (const feature of features) yield feature.text();
    yield CLOSING_LINE;
  }
  return { bytes, pieces };
}

/** A chunk summary's last line. */
const CLOSING_LINE = ']}';

/**
 * Adds a chunk summary's text, read a line at a time, into `total` (addWindowSummary's sums): its scan counts, then each
 * feature's counts as its line arrives, so that a reader holds one feature's counts at a time however many features
 * the model has. A summary written before that layout, the whole document on one line, is parsed whole and added a
 * feature at a time too. Returns how many features the summary had: summaries read at once add into the same total,
 * so checking that each has the total's features is the caller's, once all are read. A WindowSummaryError says what is
 * wrong with a malformed or cut-off one.
 */
export async function addSummaryText(total: WindowSummary, lines: AsyncIterable<string>): Promise<number> {
  let features: number | undefined;
  let closed = false;
  let comma = false;
  for await (const line of lines) {
    if (closed) throw new WindowSummaryError(`it has text after its closing "${CLOSING_LINE}"`);
    if (features === undefined) {
      if (line.endsWith('[')) {
        addSummaryHead(total, parsedLine(chunkSummaryHeadSchema, `${line}${CLOSING_LINE}`, 'its first line'));
        features = 0;
      } else {
        // Feature by feature, as a streamed one: another summary read at once may be part-way through its features.
        const document = parsedLine(chunkSummarySchema, line, 'its one line');
        addSummaryHead(total, document);
        document.features.forEach((f, i) => addFeatureSummary(total, i, f));
        [features, closed] = [document.features.length, true];
      }
    } else if (line === CLOSING_LINE) {
      if (comma) throw new WindowSummaryError(`its feature ${features - 1}'s line ends with a comma, but no feature follows`);
      closed = true;
    } else {
      if (features > 0 && !comma) throw new WindowSummaryError(`its feature ${features - 1}'s line does not end with a comma, but feature ${features} follows`);
      comma = line.endsWith(',');
      addFeatureSummary(total, features, parsedLine(featureSummarySchema, comma ? line.slice(0, -1) : line, `its feature ${features}`));
      features++;
    }
  }
  if (!closed) throw new WindowSummaryError(features === undefined ? 'it is empty' : `it ends after ${features} features, without its closing "${CLOSING_LINE}"`);
  return features!;
}

/** A line parsed and checked against `schema`, or a WindowSummaryError naming the line and the field. */
function parsedLine<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new WindowSummaryError(`${what} is not JSON (${(error as Error).message})`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new WindowSummaryError(`${what}: ${formatIssues(parsed.error).join('; ')}`);
  return parsed.data;
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
    features: document.features.map(featureCopy),
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
