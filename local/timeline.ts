/** One thing that happened in the twin, as the console and the headless run show it. */
export interface TimelineEntry {
  readonly at: string;
  readonly kind: string;
  readonly message: string;
}

const MAX_ENTRIES = 2_000;

/** The twin's record of notable happenings (executions, alarms, deployments, errors), newest last. */
export class Timeline {
  readonly entries: TimelineEntry[] = [];

  add(kind: string, message: string): void {
    const entry = { at: new Date().toISOString(), kind, message };
    this.entries.push(entry);
    if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
  }
}
