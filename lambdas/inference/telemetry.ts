import { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** The inference tier's logger (POWERTOOLS_SERVICE_NAME); one per process. */
export const logger = new Logger();

/** EMF allows 100 values per metric in one document. */
const MAX_VALUES_PER_DOCUMENT = 100;

/**
 * Most latency values kept per flush interval (a uniform sample beyond that, reservoir-style). Powertools validates
 * and stores every value it is given and cannot emit EMF `Counts`, so a busy container (tens of thousands of
 * requests a second) would spend a visible share of each request on metrics. With 1,000 uniformly sampled values
 * the sample's p99 has a standard error of about 0.3 percentile points (≈ p98.4–p99.6 at 95%); below 1,000
 * requests per interval every value is published.
 */
export const MAX_LATENCY_SAMPLES = 1000;

/**
 * Per-process tallies of the inference metrics, published as CloudWatch EMF through Powertools Metrics when the
 * owner flushes (the service does so at most once per flush interval): counting is a few increments on the hot
 * path, and a busy container writes one EMF document per interval instead of one per request.
 *
 * Metrics (dimension sets [Model] and, when a version is served, [Model, ModelVersion]):
 * Invocations, InvocationLatency (ms, one value per request up to MAX_LATENCY_SAMPLES per interval, a uniform sample beyond), InvocationErrors (5xx), ClientErrors (4xx),
 * Predictions (rows), PredictedPositive (rows predicted as the positive class; share = PredictedPositive /
 * Predictions), CapturedRecords, CaptureFailed, ModelLoadErrors.
 */
export class InferenceMetrics {
  private counts = emptyCounts();
  private latencies: number[] = [];
  /** Latencies seen this interval, of which `latencies` holds a uniform sample. */
  private latencyCount = 0;
  private readonly clock: () => number;

  /**
   * @param clock monotonic milliseconds, the clock of the requests' `startedAt` (default performance.now)
   */
  constructor(
    private readonly metrics: Metrics,
    model: string,
    private readonly modelVersion?: number,
    clock?: () => number,
  ) {
    this.clock = clock ?? (() => performance.now());
    // Powertools adds a `service` dimension by default; the alarms select by Model alone.
    metrics.clearDefaultDimensions();
    metrics.setDefaultDimensions({ Model: model });
  }

  /** The clock's time, the `startedAt` of a request. */
  now(): number {
    return this.clock();
  }

  /** A request that ended now, started at `startedAt` (`now()`), predicted `rows` rows. */
  recordSuccess(startedAt: number, rows: number, positives: number): void {
    this.counts.Invocations++;
    this.counts.Predictions += rows;
    this.counts.PredictedPositive += positives;
    this.sampleLatency(startedAt);
  }

  recordFailure(startedAt: number, statusCode: number): void {
    this.counts.Invocations++;
    if (statusCode >= 500) this.counts.InvocationErrors++;
    else this.counts.ClientErrors++;
    this.sampleLatency(startedAt);
  }

  /**
   * Reservoir sampling (Algorithm R): each latency of the interval is kept with equal probability. Whether a request
   * is kept does not depend on its latency, so the clock is read only for the ones kept: a busy container reads it
   * for about MAX_LATENCY_SAMPLES requests per interval instead of every one.
   */
  private sampleLatency(startedAt: number): void {
    const seen = this.latencyCount++;
    const slot = seen < MAX_LATENCY_SAMPLES ? seen : Math.floor(Math.random() * (seen + 1));
    if (slot < MAX_LATENCY_SAMPLES) this.latencies[slot] = this.clock() - startedAt;
  }

  recordModelLoadError(): void {
    this.counts.ModelLoadErrors++;
  }

  recordCapture(delivered: number, failed: number): void {
    this.counts.CapturedRecords += delivered;
    this.counts.CaptureFailed += failed;
  }

  get pending(): boolean {
    return Object.values(this.counts).some((n) => n > 0);
  }

  /** Writes the tallies as EMF to stdout and resets them. */
  publish(): void {
    if (!this.pending) return;
    const { counts, latencies } = this;
    this.counts = emptyCounts();
    this.latencies = [];
    this.latencyCount = 0;
    for (let start = 0; start === 0 || start < latencies.length; start += MAX_VALUES_PER_DOCUMENT) {
      // An empty set stands for the default dimensions alone, [Model]; the second adds [Model, ModelVersion].
      this.metrics.addDimensions({});
      if (this.modelVersion !== undefined) this.metrics.addDimensions({ ModelVersion: String(this.modelVersion) });
      if (start === 0) {
        for (const [name, value] of Object.entries(counts)) this.metrics.addMetric(name, MetricUnit.Count, value);
      }
      for (const latency of latencies.slice(start, start + MAX_VALUES_PER_DOCUMENT)) {
        this.metrics.addMetric('InvocationLatency', MetricUnit.Milliseconds, latency);
      }
      // Powertools publishes by itself when a metric reaches 100 values; publish what is left.
      if (this.metrics.hasStoredMetrics()) this.metrics.publishStoredMetrics();
      else this.metrics.clearDimensions();
    }
  }
}

function emptyCounts() {
  return {
    Invocations: 0,
    InvocationErrors: 0,
    ClientErrors: 0,
    Predictions: 0,
    PredictedPositive: 0,
    CapturedRecords: 0,
    CaptureFailed: 0,
    ModelLoadErrors: 0,
  };
}
