import type { CaptureRecord } from '../../contracts/capture-record';
import type { CaptureSink, DeliveryResult } from './capture-sink';

export interface TrafficCaptureOptions {
  /** Share of requests captured, 0-100; every row of a sampled request is captured. */
  readonly samplePercent: number;
  /** @default Math.random (tests inject a deterministic one) */
  readonly random?: () => number;
  /**
   * Most lines held between flushes; beyond it new lines are dropped and counted, so a sink that is down cannot
   * grow the process without bound.
   * @default 50,000
   */
  readonly maxBufferedLines?: number;
}

export interface FlushResult extends DeliveryResult {
  /** Lines dropped because the buffer was full since the last flush. */
  dropped: number;
}

/**
 * Sampled traffic capture: decides which requests are captured and buffers their rows as JSON lines of
 * CaptureRecord until the owner flushes them to the sink, so delivery costs one call per flush, not per request.
 */
export class TrafficCapture {
  private lines: string[] = [];
  private dropped = 0;
  private readonly random: () => number;
  private readonly maxBufferedLines: number;

  constructor(
    private readonly sink: CaptureSink,
    private readonly options: TrafficCaptureOptions,
  ) {
    this.random = options.random ?? Math.random;
    this.maxBufferedLines = options.maxBufferedLines ?? 50_000;
  }

  /** Whether to capture the current request. */
  sample(): boolean {
    return this.options.samplePercent > 0 && this.random() * 100 < this.options.samplePercent;
  }

  add(record: CaptureRecord): void {
    if (this.lines.length >= this.maxBufferedLines) this.dropped++;
    else this.lines.push(`${JSON.stringify(record)}\n`);
  }

  get bufferedLines(): number {
    return this.lines.length;
  }

  /** Resolves once the sink can deliver; never rejects (a sink that cannot load fails its deliveries). */
  ready(): Promise<void> {
    return this.sink.ready ? this.sink.ready().catch(() => undefined) : Promise.resolve();
  }

  /** Hands the buffered lines to the sink; never throws. */
  async flush(signal?: AbortSignal): Promise<FlushResult> {
    const { lines, dropped } = this;
    this.lines = [];
    this.dropped = 0;
    if (!lines.length) return { delivered: 0, failed: 0, dropped };
    try {
      return { ...(await this.sink.put(lines, signal)), dropped };
    } catch {
      return { delivered: 0, failed: lines.length, dropped };
    }
  }
}

/**
 * A sink made on the first delivery. The Lambda handler's Firehose sink is imported this way (service-from-env.ts), so
 * the AWS SDK's client loads after the cold start's first prediction, not before it. A failed import fails every
 * delivery, which TrafficCapture counts as failed lines.
 */
export class DeferredCaptureSink implements CaptureSink {
  private sink?: Promise<CaptureSink>;

  constructor(private readonly create: () => Promise<CaptureSink>) {}

  put(lines: readonly string[], signal?: AbortSignal): Promise<DeliveryResult> {
    this.sink ??= this.create();
    return this.sink.then((sink) => sink.put(lines, signal));
  }

  async ready(): Promise<void> {
    this.sink ??= this.create();
    await this.sink;
  }
}
