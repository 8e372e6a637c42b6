import type { ExecutionEvent } from '../../../contracts/twin-api';

/**
 * Puts a Distributed Map's map-run events (MapRunStarted, then MapRunSucceeded/Failed/Aborted) in their place in an
 * execution's history: after the Map state's StateEntered, before its exit. The map runs as the interpreter reaches it,
 * while the history is copied from the interpreter's log behind it, so a map run that starts at once (its items in the
 * input) would otherwise be recorded before the log's ExecutionStarted. An event of a map run whose state the history
 * has not started yet waits for that StateEntered (or StateRetried: a retry runs a new map run without entering again).
 * One that comes after the history's end (a map run stopped with its execution ends after it) goes before the
 * terminal event.
 */
export class MapRunEvents {
  /** StateEntered and StateRetried events copied into the history, per state name: each starts a map run. */
  private readonly entered = new Map<string, number>();
  /** Map runs started, per state name: the n-th map run of a state belongs to its n-th entry. */
  private readonly started = new Map<string, number>();
  private readonly waiting: Array<{ state: string; entry: number; event: ExecutionEvent }> = [];
  /** flush() ran: the terminal event follows. */
  private ended = false;

  constructor(private readonly history: ExecutionEvent[]) {}

  /** A map run's event; `starts` for the MapRunStarted of a new map run of `state`. */
  add(state: string, event: ExecutionEvent, starts: boolean): void {
    const entry = (this.started.get(state) ?? 0) + (starts ? 1 : 0);
    this.started.set(state, entry);
    const behind = this.waiting.some((waiting) => waiting.state === state);
    if (this.ended) this.history.splice(this.history.length - 1, 0, event);
    else if (!behind && (this.entered.get(state) ?? 0) >= entry) this.history.push(event);
    else this.waiting.push({ state, entry, event });
  }

  /** The history has `state`'s StateEntered or StateRetried: the events of its map run that waited for it follow. */
  stateStarted(state: string): void {
    const entered = (this.entered.get(state) ?? 0) + 1;
    this.entered.set(state, entered);
    this.release((waiting) => waiting.state === state && waiting.entry <= entered);
  }

  /** The history is ending (its terminal event follows): whatever still waits is written as it is. */
  flush(): void {
    this.release(() => true);
    this.ended = true;
  }

  private release(which: (waiting: { state: string; entry: number }) => boolean): void {
    for (let i = 0; i < this.waiting.length; ) {
      if (which(this.waiting[i])) this.history.push(this.waiting.splice(i, 1)[0].event);
      else i++;
    }
  }
}
