import { baselineBytes, driftMemoryFit, MIB, MIN_PART_ROWS, RESERVED_BYTES, SUMMARY_PIECE_BYTES_PER_BIN, type NumericBaselineSize } from '../../contracts/drift-memory';
import type { SummaryReferences } from './window-summary';

/** The drift function's memory cannot hold the baseline's references and a part of the window beside them. */
export class DriftMemoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DriftMemoryError';
  }
}

/** The size of each numeric feature's baseline for KS: its sorted values and its distinct ones. */
const numericSizes = (references: SummaryReferences): NumericBaselineSize[] =>
  references.features.flatMap((f) => (f.type === 'numeric' ? [{ values: f.ksSample.length, distinct: references.distinct.get(f.name)!.values.length }] : []));

/** Bytes the baseline side of a run takes at worst (contracts/drift-memory.ts' baselineBytes). */
export function referenceBytes(references: SummaryReferences): number {
  return baselineBytes(numericSizes(references));
}

/**
 * The numeric feature values a drift function of `memoryMiB` may hold before it summarizes them, beside `references`
 * (contracts/drift-memory.ts' driftMemoryFit). A DriftMemoryError, naming the memory to set, when that is fewer than
 * MIN_PART_ROWS rows of the numeric features.
 */
export function heldValuesFor(memoryMiB: number, references: SummaryReferences): number {
  const numeric = numericSizes(references);
  const fit = driftMemoryFit(memoryMiB, numeric);
  if ('heldValues' in fit) return fit.heldValues;
  throw new DriftMemoryError(
    `the baseline's references of ${numeric.length} numeric features take about ${Math.ceil(fit.baselineBytes / MIB)} MiB, and a drift function of ${memoryMiB} MiB ` +
      `cannot hold them with ${MIN_PART_ROWS} rows of the window beside them: set the team config's drift.memoryMiB ` +
      `(DriftMonitorProps.memorySize) to at least ${fit.neededMiB}, or write baselines of fewer sorted values a feature`,
  );
}

/**
 * Chunk summaries the decide step reads at once, beside `references` and the merged summary (referenceBytes). A summary
 * is read a feature's line at a time (window-summary.ts' addSummaryText), and a line costs at most what the worker's
 * piece of it did (SUMMARY_PIECE_BYTES_PER_BIN a KS bin of the largest feature, which referenceBytes counts once, and a
 * LINE_ALLOWANCE for the rest), or LINE_COST times the largest summary's stored size where that is less. So one read
 * fits wherever the references and the window's fewest rows do (heldValuesFor, whose DriftMemoryError this throws
 * otherwise), and more fit in what the reserve and the references leave: up to READS_IN_FLIGHT.
 */
export function summaryReadsInFlight(memoryMiB: number, references: SummaryReferences, largestSummaryBytes: number): number {
  // The workers' own check, and their error: where it passes, what the references and the reserve leave is positive.
  heldValuesFor(memoryMiB, references);
  const numeric = numericSizes(references);
  const largestBins = Math.max(0, ...numeric.map(({ distinct }) => 2 * distinct + 1));
  const perRead = Math.min(LINE_COST * Math.max(largestSummaryBytes, 1), SUMMARY_PIECE_BYTES_PER_BIN * largestBins + LINE_ALLOWANCE);
  const spare = memoryMiB * MIB - RESERVED_BYTES - baselineBytes(numeric);
  return Math.min(READS_IN_FLIGHT, 1 + Math.floor(spare / perRead));
}

/**
 * A line being read holds its bytes as they stream in, its text, the parsed line's base64 and the counts decoded from
 * it: about 5 times its length, 19 bytes a KS bin of 3-byte varints, within the 20 a bin the worker's piece is counted
 * at. The copies the garbage collector has not freed yet are the reserve's.
 */
const LINE_COST = 5;
/** The rest of a line: a feature's name, PSI counts, a categorical feature's counts, the summary's head. */
const LINE_ALLOWANCE = MIB;
/** Enough reads at once to overlap S3's latency per object, few enough to share the function's network. */
const READS_IN_FLIGHT = 8;
