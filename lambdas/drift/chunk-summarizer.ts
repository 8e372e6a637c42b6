import type { CaptureRecord } from '../../contracts/capture-record';
import type { CaptureScan } from './capture-window';
import type { DriftConfig } from './drift-config';
import { WindowColumns } from './window-columns';
import { addWindowSummary, mergeWindowSummaries, summarizeWindow, type SummaryReferences, type WindowSummary } from './window-summary';

/**
 * Bytes a held numeric value can cost at worst: 8 in its column, 8 more of the column's spare capacity (a column grows
 * by doubling), and 8 for its sorted copy while its column is counted.
 */
const BYTES_PER_HELD_VALUE = 24;
/**
 * The share of the function's memory the held values may take. The rest is for the runtime and the SDK, the capture
 * object streaming in, the baseline's references (for each numeric feature, 16 bytes per distinct baseline value and
 * the summary's 16 per KS bin, two bins per value; the processing step keeps at most 10^6 values a feature) and the
 * running summary.
 */
const HELD_SHARE = 1 / 4;

/** The numeric values a summarizer may hold in a function of `memoryMiB` (AWS_LAMBDA_FUNCTION_MEMORY_SIZE). */
export const heldValuesFor = (memoryMiB: number): number => Math.floor((memoryMiB * 2 ** 20 * HELD_SHARE) / BYTES_PER_HELD_VALUE);

/**
 * Summarizes the records of a chunk (or of a whole window) holding at most `maxHeldValues` numeric feature values: once
 * the rows held reach that, they are summarized as a window would be (each column sorted and counted into the baseline's
 * bins), added to the summary so far and dropped. The counts add up exactly (window-summary.ts), so the summary is the
 * one of all the records at once, whatever the bound: a worker's memory follows its function's memory size, not its
 * chunk's bytes or how well they compressed.
 */
export class ChunkSummarizer {
  private window: WindowColumns;
  private partsSummarized = 0;
  private readonly summary: WindowSummary = mergeWindowSummaries([]);
  /** Read at the first part with rows, once for all. */
  private references?: Promise<SummaryReferences>;

  constructor(
    /** The served version whose rows are kept (WindowColumns passes over the others). */
    private readonly served: { model: string; version: number; config: Pick<DriftConfig, 'features' | 'task'> },
    private readonly maxHeldValues: number,
    private readonly loadReferences: () => Promise<SummaryReferences>,
  ) {
    if (!(maxHeldValues >= 1)) throw new RangeError(`maxHeldValues must be at least 1, got ${maxHeldValues}`);
    this.window = this.newWindow();
  }

  /** Parts summarized so far (the held rows at each bound reached, and the rest at finish). */
  get parts(): number {
    return this.partsSummarized;
  }

  /** Keeps the record; when the bound is reached, a promise of the held rows' summary (the scan awaits it). */
  add(record: CaptureRecord): Promise<void> | undefined {
    this.window.add(record);
    return this.window.heldValues >= this.maxHeldValues ? this.summarizeHeld() : undefined;
  }

  /** The summary of every record added, with the scan's counts. */
  async finish(scan: CaptureScan): Promise<WindowSummary> {
    await this.summarizeHeld(scan);
    return this.summary;
  }

  private async summarizeHeld(scan: CaptureScan = { objectCount: 0, recordCount: 0, invalidLines: 0 }): Promise<void> {
    const held = this.window;
    this.window = this.newWindow();
    addWindowSummary(this.summary, await summarizeWindow(held, scan, () => (this.references ??= this.loadReferences())));
    this.partsSummarized++;
  }

  private newWindow(): WindowColumns {
    return new WindowColumns(this.served.model, this.served.version, this.served.config);
  }
}
