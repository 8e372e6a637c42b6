import type { TimelineEntry } from '../contracts/twin-api';

/** One thing that happened in the twin, as the console (contracts/twin-api.ts) and the headless run show it. */
export type { TimelineEntry };

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
