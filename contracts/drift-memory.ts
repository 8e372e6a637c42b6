/**
 * What a drift function's memory holds: a reserve, the baseline's references, and the feature values it holds before
 * counting them into the baseline's bins.
 * Producers: the baselines it sizes are written by the processing step (pipelines/processing/, at most
 * TRAINING_PIPELINE_SPEC.processing.baselineSampleRows sorted values a numeric feature); the drift functions' memory is
 * set by DriftMonitor (lib/drift-monitor.ts, memorySize).
 * Consumers: the drift run's functions size their bound on held values from the baseline they read, and refuse a
 * memory too small for it (lambdas/drift/drift-memory.ts); DriftMonitor warns at synth when the memory cannot hold the
 * largest baseline the built-in processing writes for the model's numeric features (lib/drift-monitor.ts).
 */

export const MIB = 2 ** 20;

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
export const RESERVED_BYTES = 256 * MIB;
/**
 * The fewest rows a summarized part may have. Counting a part into a numeric feature's KS bins walks up to its 2n + 1
 * bins whatever the part's rows, so a run of parts much smaller than the baseline would spend its time on bins, not
 * rows: memory that cannot hold this many is refused rather than run that slowly.
 */
export const MIN_PART_ROWS = 65_536;

/** A numeric feature's baseline for KS: its sorted values, and how many of them are distinct. */
export interface NumericBaselineSize {
  values: number;
  distinct: number;
}

/**
 * Bytes the baseline side of a run takes, at worst: for each numeric feature of n sorted baseline values, d of them
 * distinct, the sorted values (8n), the distinct values and their cumulative counts (16d), and the running summary's
 * 2d + 1 KS bins (8 a bin, as float64; each part is counted straight into them). Once, a feature's line of a summary:
 * a worker's being written (lambdas/drift/window-summary.ts' summaryDocumentText: the counts as varints, their base64,
 * the line's text and its bytes on the way out), or the decide step's being read (addSummaryText). 20 bytes a bin
 * covers counts below 2^21 (3 bytes a bin as varints), far above what a chunk puts in one bin of a baseline of many
 * distinct values.
 */
export function baselineBytes(numeric: readonly NumericBaselineSize[]): number {
  let bytes = 0;
  let largestBins = 0;
  for (const { values, distinct } of numeric) {
    const bins = 2 * distinct + 1;
    bytes += 8 * values + 8 * (bins - 1) + 8 * bins;
    largestBins = Math.max(largestBins, bins);
  }
  return bytes + SUMMARY_PIECE_BYTES_PER_BIN * largestBins;
}

/** A KS bin's share of a summary's piece being written or read (baselineBytes). */
export const SUMMARY_PIECE_BYTES_PER_BIN = 20;

/**
 * The numeric feature values a drift function of `memoryMiB` may hold beside the baseline of `numeric`: half of what
 * the reserve and the baseline leave (the other half is room for the allocator, and for a summarized part's arrays
 * until the garbage collector frees them), at most a quarter of the memory. When that is fewer than MIN_PART_ROWS rows
 * of the numeric features, the memory that would do instead.
 */
export function driftMemoryFit(memoryMiB: number, numeric: readonly NumericBaselineSize[]): { heldValues: number } | { neededMiB: number; baselineBytes: number } {
  const baseline = baselineBytes(numeric);
  const spare = memoryMiB * MIB - RESERVED_BYTES - baseline;
  const heldValues = Math.floor(Math.min(memoryMiB * MIB * HELD_SHARE, spare / 2) / BYTES_PER_HELD_VALUE);
  const fewest = numeric.length * MIN_PART_ROWS;
  if (heldValues >= fewest) return { heldValues };
  return { neededMiB: Math.ceil((RESERVED_BYTES + baseline + 2 * fewest * BYTES_PER_HELD_VALUE) / MIB), baselineBytes: baseline };
}
