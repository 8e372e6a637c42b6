import type { CaptureRecord } from '../../contracts/capture-record';
import type { CaptureScan } from './capture-window';
import type { DriftConfig } from './drift-config';
import { WindowColumns } from './window-columns';
import { addWindow, mergeWindowSummaries, type SummaryReferences, type WindowSummary } from './window-summary';

/** The numeric feature values a summarizer may hold beside the baseline's references (drift-memory.ts' heldValuesFor). */
export type HeldValueBound = (references: SummaryReferences) => number;

/**
 * Summarizes the records of a chunk (or of a whole window) holding a bounded number of numeric feature values: once
 * the rows held reach the bound, they are counted into the summary so far as a window would be (each column sorted
 * and counted into the baseline's bins) and dropped. The counts add up exactly (window-summary.ts), so the
 * summary is the one of all the records at once, whatever the bound: a worker's memory follows its function's memory
 * size, not its chunk's bytes or how well they compressed. The bound depends on what the baseline's references take,
 * so they are read at the first row of the served version, before any is held (a chunk without one reads none).
 */
export class ChunkSummarizer {
  private window: WindowColumns;
  private partsSummarized = 0;
  private readonly summary: WindowSummary = mergeWindowSummaries([]);
  private references?: Promise<SummaryReferences>;
  /** Set once the references are read. */
  private maxHeldValues?: number;

  constructor(
    /** The served version whose rows are kept (WindowColumns passes over the others). */
    private readonly served: { model: string; version: number; config: Pick<DriftConfig, 'features' | 'task'> },
    private readonly bound: HeldValueBound,
    private readonly loadReferences: () => Promise<SummaryReferences>,
  ) {
    this.window = this.newWindow();
  }

  /** Parts summarized so far (the held rows at each bound reached, and the rest at finish). */
  get parts(): number {
    return this.partsSummarized;
  }

  /** Keeps the record; a promise when there is work before the next one (the scan awaits it): the references' read, a part's summary. */
  add(record: CaptureRecord): Promise<void> | undefined {
    this.window.add(record);
    if (this.maxHeldValues === undefined) return this.window.rows > 0 ? this.sizeFromReferences() : undefined;
    return this.window.heldValues >= this.maxHeldValues ? this.summarizeHeld() : undefined;
  }

  /** The summary of every record added, with the scan's counts. */
  async finish(scan: CaptureScan): Promise<WindowSummary> {
    await this.summarizeHeld(scan);
    return this.summary;
  }

  private async sizeFromReferences(): Promise<void> {
    const bound = this.bound(await this.readReferences());
    if (!(bound >= 1)) throw new RangeError(`a summarizer must hold at least one value, got a bound of ${bound}`);
    this.maxHeldValues = bound;
    if (this.window.heldValues >= bound) await this.summarizeHeld();
  }

  private readReferences(): Promise<SummaryReferences> {
    return (this.references ??= this.loadReferences());
  }

  private async summarizeHeld(scan: CaptureScan = { objectCount: 0, recordCount: 0, invalidLines: 0 }): Promise<void> {
    const held = this.window;
    this.window = this.newWindow();
    await addWindow(this.summary, held, scan, () => this.readReferences());
    this.partsSummarized++;
  }

  private newWindow(): WindowColumns {
    return new WindowColumns(this.served.model, this.served.version, this.served.config);
  }
}
