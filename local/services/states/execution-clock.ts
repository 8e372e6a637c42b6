const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * An execution's elapsed time, against which the state machine's top-level `TimeoutSeconds` is measured.
 *
 * Step Functions measures wall-clock time. The twin shortens Wait states and Retry intervals by the time scale, while
 * the work between them (functions, containers) takes the real time it takes here. So this clock runs `scale` times
 * faster while the execution is pausing (in a Wait state, or before a retry) and in real time otherwise: an execution
 * times out when it would in AWS if its work took as long as it does in the twin. Scaling the whole execution instead
 * would count a 30-second local training run as 5 hours at scale 600 and time out pipelines that AWS would finish.
 *
 * Pauses are keyed (state name and Map iteration) because branches of a Parallel or Map state pause concurrently; the
 * clock runs fast while any of them pauses.
 */
export class ExecutionClock {
  private readonly pauses = new Set<string>();
  private elapsedMs = 0;
  private since = Date.now();
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly scale: number,
    private readonly limitSeconds: number | undefined,
    private readonly onTimeout: () => void,
  ) {
    this.arm();
  }

  /** Template milliseconds the execution has run. */
  elapsed(): number {
    return this.elapsedMs + (Date.now() - this.since) * this.rate();
  }

  pauseStarted(key: string): void {
    this.change(() => this.pauses.add(key));
  }

  pauseEnded(key: string): void {
    if (this.pauses.has(key)) this.change(() => this.pauses.delete(key));
  }

  /** Ends every pause whose key matches, e.g. those inside a Parallel or Map state that has ended. */
  pausesEnded(matches: (key: string) => boolean): void {
    const ended = [...this.pauses].filter(matches);
    if (ended.length) this.change(() => ended.forEach((key) => this.pauses.delete(key)));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private rate(): number {
    return this.pauses.size > 0 ? this.scale : 1;
  }

  private change(apply: () => void): void {
    this.elapsedMs = this.elapsed();
    this.since = Date.now();
    apply();
    this.arm();
  }

  private arm(): void {
    clearTimeout(this.timer);
    if (this.stopped || this.limitSeconds === undefined) return;
    const delayMs = Math.max(0, (this.limitSeconds * 1000 - this.elapsedMs) / this.rate());
    // Longer delays than Node's timer limit (about 24.8 days; Step Functions allows a year) are waited in steps.
    this.timer = setTimeout(() => {
      if (this.stopped) return;
      if (this.elapsed() >= this.limitSeconds! * 1000) this.onTimeout();
      else this.change(() => undefined);
    }, Math.min(delayMs, MAX_TIMER_MS));
  }
}
