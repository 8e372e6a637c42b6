import type { SummaryReferences } from './window-summary';

const MIB = 2 ** 20;

/**
 * Bytes a held numeric value can cost at worst: 8 in its column, 8 more of the column's spare capacity (a column grows
 * by doubling), and 8 for its sorted copy while its column is counted.
 */
const BYTES_PER_HELD_VALUE = 24;
/** The largest share of the function's memory the held values may take, however small the baseline. */
const HELD_SHARE = 1 / 4;
/**
 * What a drift function uses whatever its data: the Node runtime, the SDK's clients, a capture object streaming in and
 * gunzipped, the records parsed and the parts' sorted copies not yet collected, the running summary's categories. The
 * drift-run bench's workers, whose baseline is small, peak within it; the drift-memory bench's worker, at the most
 * numeric features its memory takes, peaks below its memory with it.
 */
const RESERVED_BYTES = 256 * MIB;
/**
 * The fewest rows a summarized part may have. Counting a part into a numeric feature's KS bins walks up to its 2n + 1
 * bins whatever the part's rows, so a run of parts much smaller than the baseline would spend its time on bins, not
 * rows: memory that cannot hold this many is refused rather than run that slowly.
 */
const MIN_PART_ROWS = 65_536;

/** The drift function's memory cannot hold the baseline's references and a part of the window beside them. */
export class DriftMemoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DriftMemoryError';
  }
}

/**
 * Bytes the baseline side of a run takes, at worst: for each numeric feature of n sorted baseline values, d of them
 * distinct, the sorted values (8n), the distinct values and their cumulative counts (16d), and the running summary's
 * 2d + 1 KS bins (8 a bin, as float64; each part is counted straight into them). Once, the summary document's piece
 * being written (window-summary.ts' summaryDocumentText): a feature's counts as varints, their base64, the piece's
 * text and its bytes on the way out. 20 bytes a bin covers counts below 2^21 (3 bytes a bin as varints), far above
 * what a chunk puts in one bin of a baseline of many distinct values.
 */
export function referenceBytes(references: SummaryReferences): number {
  let bytes = 0;
  let largestBins = 0;
  for (const feature of references.features) {
    if (feature.type !== 'numeric') continue;
    const bins = 2 * references.distinct.get(feature.name)!.values.length + 1;
    bytes += 8 * feature.ksSample.length + 8 * (bins - 1) + 8 * bins;
    largestBins = Math.max(largestBins, bins);
  }
  return bytes + 20 * largestBins;
}

/**
 * The numeric feature values a drift function of `memoryMiB` may hold before it summarizes them, beside `references`:
 * half of what the reserve and the references leave (the other half is room for the allocator, and for a summarized
 * part's arrays until the garbage collector frees them), at most a quarter of the memory. A DriftMemoryError, naming the
 * memory to set, when that is fewer than MIN_PART_ROWS rows of the numeric features.
 */
export function heldValuesFor(memoryMiB: number, references: SummaryReferences): number {
  const numeric = references.features.filter((f) => f.type === 'numeric').length;
  const baseline = referenceBytes(references);
  const spare = memoryMiB * MIB - RESERVED_BYTES - baseline;
  const heldBytes = Math.min(memoryMiB * MIB * HELD_SHARE, spare / 2);
  const values = Math.floor(heldBytes / BYTES_PER_HELD_VALUE);
  const fewest = numeric * MIN_PART_ROWS;
  if (values < fewest) {
    const needed = Math.ceil((RESERVED_BYTES + baseline + 2 * fewest * BYTES_PER_HELD_VALUE) / MIB);
    throw new DriftMemoryError(
      `the baseline's references of ${numeric} numeric features take about ${Math.ceil(baseline / MIB)} MiB, and a drift function of ${memoryMiB} MiB ` +
        `cannot hold them with ${MIN_PART_ROWS} rows of the window beside them: set the team config's drift.memoryMiB ` +
        `(DriftMonitorProps.memorySize) to at least ${needed}, or write baselines of fewer sorted values a feature`,
    );
  }
  return values;
}

/**
 * Chunk summaries the decide step reads at once, beside `references` and the merged summary (referenceBytes): as many
 * as fit in what they and the reserve leave, at DOCUMENT_COST times the largest one's stored size (a summary is read
 * whole: its bytes, their text, the parsed document), at most READS_IN_FLIGHT. A DriftMemoryError, naming the memory
 * to set, when not even one fits.
 */
export function summaryReadsInFlight(memoryMiB: number, references: SummaryReferences, largestSummaryBytes: number): number {
  const baseline = referenceBytes(references);
  const perRead = DOCUMENT_COST * Math.max(largestSummaryBytes, 1);
  const fit = Math.floor((memoryMiB * MIB - RESERVED_BYTES - baseline) / perRead);
  if (fit < 1) {
    const needed = Math.ceil((RESERVED_BYTES + baseline + perRead) / MIB);
    throw new DriftMemoryError(
      `the decide step reads chunk summaries of up to ${Math.ceil(largestSummaryBytes / MIB)} MiB whole (about ${DOCUMENT_COST} times that in memory) ` +
        `beside the baseline's references of about ${Math.ceil(baseline / MIB)} MiB, which a drift function of ${memoryMiB} MiB cannot hold: ` +
        `set the team config's drift.memoryMiB (DriftMonitorProps.memorySize) to at least ${needed}, or a smaller drift.chunkMiB (a chunk of fewer rows writes a smaller summary)`,
    );
  }
  return Math.min(READS_IN_FLIGHT, fit);
}

/** A summary as read costs its bytes, the text decoded from them and the parsed document's strings. */
const DOCUMENT_COST = 3;
/** Enough reads at once to overlap S3's latency per object, few enough to share the function's network. */
const READS_IN_FLIGHT = 8;
