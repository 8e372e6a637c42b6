import { baselineBytes, driftMemoryFit, MIB, MIN_PART_ROWS, RESERVED_BYTES, type NumericBaselineSize } from '../../contracts/drift-memory';
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
