/**
 * The twin's one notion of time. Durations written in the templates (Wait states, schedules, alarm periods,
 * Firehose buffer intervals) are divided by `scale`, so a 5-minute canary bake takes 5 s at scale 60. Timestamps stay
 * real: functions stamp EMF metrics and captured rows with their own Date.now(), and the twin buckets metrics on
 * real time with periods shortened by the same scale, so no timestamp has to be translated. Cron schedules, which
 * name wall-clock instants, run on `virtualNow()`: real time since start multiplied by the scale.
 */
export class Clock {
  private readonly origin = Date.now();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(readonly scale = 1) {
    if (!(scale > 0)) throw new Error(`time scale must be > 0, got: ${scale}`);
  }

  /** Real milliseconds that a template duration takes. */
  realMs(templateMs: number): number {
    return templateMs / this.scale;
  }

  /** The accelerated wall clock, for cron expressions. */
  virtualNow(): number {
    return this.origin + (Date.now() - this.origin) * this.scale;
  }

  /** Runs `fn` after a template duration; stop() cancels every pending timer. */
  after(templateMs: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, this.realMs(templateMs));
    this.timers.add(timer);
    return timer;
  }

  /** Runs `fn` every template duration until stop(). */
  every(templateMs: number, fn: () => void): NodeJS.Timeout {
    const timer = setInterval(fn, Math.max(1, this.realMs(templateMs)));
    this.timers.add(timer);
    return timer;
  }

  cancel(timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
