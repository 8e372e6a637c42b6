import { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { withSourceMappedStack } from '../shared/source-mapped-errors';

/**
 * The inference tier's logger (POWERTOOLS_SERVICE_NAME); one per process. The errors it logs carry stacks located in
 * the TypeScript sources: the Lambda function loads no source maps as it starts (lambdas/shared/source-mapped-errors.ts).
 */
export const logger = new Logger({ jsonReplacerFn: (_key, value) => (value instanceof Error ? withSourceMappedStack(value) : value) });

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
 * Predictions), CapturedRecords, CaptureFailed, ModelLoadErrors, ModelLoadTime (ms, one value per model loaded: see
 * `recordModelLoad`). A multiclass model adds ClassPredictions (rows
 * predicted as each class) with dimensions [Model, Class], Class = String(label), one document per predicted class.
 */
export class InferenceMetrics {
  private counts = emptyCounts();
  /** Rows predicted per class this interval (multiclass), by String(label). */
  private classCounts = new Map<string, number>();
  private latencies: number[] = [];
  private modelLoadTimes: number[] = [];
  /** Latencies seen this interval, of which `latencies` holds a uniform sample. */
  private latencyCount = 0;
  /** Algorithm L's state once the sample is full: the running weight, and the next request (by count) kept. */
  private weight = 1;
  private nextKept = 0;
  private readonly clock: () => number;

  /**
   * @param clock monotonic milliseconds, for latencies (default performance.now)
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

  /**
   * Starts an invocation: its start on the clock when its latency will be sampled, NaN (and no clock reading) when
   * not. Reservoir sampling keeps a uniform sample of the interval's latencies; whether a request is kept does not
   * depend on its latency, so it is decided here. Li's Algorithm L draws how many requests pass before the next one
   * kept: a passed-over request costs one comparison, and a busy container reads the clock for about
   * MAX_LATENCY_SAMPLES × (1 + ln(requests / MAX_LATENCY_SAMPLES)) requests per interval instead of every one.
   */
  startRequest(): number {
    const seen = this.latencyCount++;
    if (seen < MAX_LATENCY_SAMPLES) {
      if (seen === MAX_LATENCY_SAMPLES - 1) {
        this.weight = weightFactor();
        this.nextKept = seen + passedOver(this.weight) + 1;
      }
      return this.clock();
    }
    if (seen !== this.nextKept) return Number.NaN;
    this.weight *= weightFactor();
    this.nextKept = seen + passedOver(this.weight) + 1;
    return this.clock();
  }

  /** An invocation that ended now, started at `startedAt` (from `startRequest`), predicted `rows` rows. */
  recordSuccess(startedAt: number, rows: number, positives: number): void {
    this.counts.Invocations++;
    this.counts.Predictions += rows;
    this.counts.PredictedPositive += positives;
    this.keepLatency(startedAt);
  }

  /** Rows a multiclass model predicted as each of its `labels` (counts in the labels' order). */
  recordClasses(labels: readonly (string | number)[], counts: readonly number[]): void {
    for (let c = 0; c < counts.length; c++) {
      if (counts[c] === 0) continue;
      const name = String(labels[c]);
      this.classCounts.set(name, (this.classCounts.get(name) ?? 0) + counts[c]);
    }
  }

  recordFailure(startedAt: number, statusCode: number): void {
    this.counts.Invocations++;
    if (statusCode >= 500) this.counts.InvocationErrors++;
    else this.counts.ClientErrors++;
    this.keepLatency(startedAt);
  }

  /**
   * Puts a sampled latency in the sample: appended while it has room, else in a random slot. On the container server
   * a request can span a publish; its latency then joins the next interval's sample.
   */
  private keepLatency(startedAt: number): void {
    if (Number.isNaN(startedAt)) return;
    const latency = this.clock() - startedAt;
    if (this.latencies.length < MAX_LATENCY_SAMPLES) this.latencies.push(latency);
    else this.latencies[Math.floor(Math.random() * MAX_LATENCY_SAMPLES)] = latency;
  }

  recordModelLoadError(): void {
    this.counts.ModelLoadErrors++;
  }

  /**
   * A model loaded and its session ready, `durationMs` after its load started: for a process's first load, after the
   * process started (its reads start as it loads its code), so the values are what a new environment takes to be ready,
   * and their count is how many environments started (cold starts).
   */
  recordModelLoad(durationMs: number): void {
    this.modelLoadTimes.push(durationMs);
  }

  recordCapture(delivered: number, failed: number): void {
    this.counts.CapturedRecords += delivered;
    this.counts.CaptureFailed += failed;
  }

  get pending(): boolean {
    return Object.values(this.counts).some((n) => n > 0) || this.classCounts.size > 0 || this.modelLoadTimes.length > 0;
  }

  /** Writes the tallies as EMF to stdout and resets them. */
  publish(): void {
    if (!this.pending) return;
    const { counts, latencies, classCounts, modelLoadTimes } = this;
    this.counts = emptyCounts();
    this.classCounts = new Map();
    this.latencies = [];
    this.modelLoadTimes = [];
    this.latencyCount = 0;
    // The Class dimension has one value per document.
    for (const [name, count] of classCounts) {
      this.metrics.addDimension('Class', name);
      this.metrics.addMetric('ClassPredictions', MetricUnit.Count, count);
      this.metrics.publishStoredMetrics();
    }
    for (let start = 0; start === 0 || start < latencies.length; start += MAX_VALUES_PER_DOCUMENT) {
      // An empty set stands for the default dimensions alone, [Model]; the second adds [Model, ModelVersion].
      this.metrics.addDimensions({});
      if (this.modelVersion !== undefined) this.metrics.addDimensions({ ModelVersion: String(this.modelVersion) });
      if (start === 0) {
        for (const [name, value] of Object.entries(counts)) this.metrics.addMetric(name, MetricUnit.Count, value);
        for (const duration of modelLoadTimes) this.metrics.addMetric('ModelLoadTime', MetricUnit.Milliseconds, duration);
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

/** Uniform in (0, 1], so its logarithm is finite. */
const unitRandom = () => 1 - Math.random();

/** Algorithm L's factor of the running weight, drawn each time a latency is kept. */
const weightFactor = () => Math.exp(Math.log(unitRandom()) / MAX_LATENCY_SAMPLES);

/** Algorithm L's geometric skip: how many requests pass before the next one is kept. */
const passedOver = (weight: number) => Math.floor(Math.log(unitRandom()) / Math.log(1 - weight));

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
