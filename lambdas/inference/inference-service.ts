import { predictionId } from '../../contracts/prediction-id';
import type { CopiedRequest } from '../../contracts/shadow-test';
import { afterRequestsSent } from './after-requests-sent';
import { InferenceError, InvalidRequestError, MethodNotAllowedError, ModelUnavailableError, RouteNotFoundError } from './errors';
import type { ModelSource } from './model-source';
import { type ModelOutput, ModelSession, onnxRuntime } from './model-session';
import { classProbabilities, encodePrediction, predictedClass, predictedLabel, positiveProbability } from './predict';
import { checkBodySize, DEFAULT_LIMITS, type Invocation, type InvocationLimits, instanceValues, parseInvocation, sentInstances } from './request-schema';
import { logger, type InferenceMetrics } from './telemetry';
import type { ShadowCopies } from './shadow-copies';
import type { TrafficCapture } from './traffic-capture';

/** A request as both adapters hand it over (Lambda function URL event, node:http request). */
export interface InferenceRequest {
  method: string;
  path: string;
  body?: string;
  isBase64Encoded?: boolean;
  requestId: string;
  /** The caller opted out of capture (`x-mlops-capture: off`, contracts/capture-opt-out.ts), e.g. the holdout check. */
  captureOptOut?: boolean;
  /**
   * When the request was received, in epoch milliseconds, if the transport says (a function URL's
   * `requestContext.timeEpoch`); times the flush interval without a clock reading of the service's own.
   * @default - the service's clock
   */
  receivedAt?: number;
}

export interface InferenceResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface InferenceServiceOptions {
  readonly source: ModelSource;
  readonly metrics: InferenceMetrics;
  /** @default - no capture */
  readonly capture?: TrafficCapture;
  /** Copies of sampled requests for the version in shadow, sent with each flush. @default - no shadow copies */
  readonly shadow?: ShadowCopies;
  /** @default DEFAULT_LIMITS */
  readonly limits?: InvocationLimits;
  /** Least time between two flushes of metrics and capture. @default 1000 */
  readonly flushIntervalMs?: number;
  /**
   * Flush as part of a request once the flush interval has passed: its answer waits for the flush. For the Lambda
   * handler, whose container is frozen between invocations and so cannot flush in the background.
   * @default false - the owner calls `flush` (the container server does so on a timer)
   */
  readonly flushWithRequests?: boolean;
  /** Flush early once this many capture lines wait. @default 500 */
  readonly flushAtLines?: number;
  /** Longest a capture delivery may take before it is abandoned (its lines counted as failed). @default 300 */
  readonly captureBudgetMs?: number;
  /** After a failed model load, requests answer 503 with its reason for this long before loading is tried again. @default 30,000 */
  readonly retryLoadAfterMs?: number;
  /** Wall clock (epoch milliseconds), for capture timestamps, the model-load retry and the flush interval. @default Date.now */
  readonly clock?: () => number;
}

interface LoadedModel {
  session: ModelSession;
  version: number;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/**
 * The inference tier's core, free of transport types: routes `POST /invocations` and `GET /ping`, loads the
 * model once per process (one InferenceSession per warm container), validates, predicts, samples traffic for
 * capture and tallies metrics. A request can only produce a 2xx or 4xx; 503 means the model cannot be served
 * (the body says why).
 *
 * Metrics and capture are flushed with the request during which the flush interval ended (`flushWithRequests`, the
 * Lambda handler, since a frozen container cannot run background work) or on the owner's timer (the container
 * server); either way at most once per flush interval, unless capture lines pile up.
 */
const noop = () => undefined;

export class InferenceService {
  private loaded?: LoadedModel;
  private loading?: Promise<LoadedModel>;
  private failure?: { error: ModelUnavailableError; at: number };
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private flushing?: Promise<void>;
  private readonly limits: InvocationLimits;
  private readonly clock: () => number;
  private readonly flushIntervalMs: number;
  private readonly flushAtLines: number;

  constructor(private readonly options: InferenceServiceOptions) {
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.clock = options.clock ?? Date.now;
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.flushAtLines = options.flushAtLines ?? 500;
  }

  /**
   * Starts loading the model (e.g. during a Lambda's init phase); failures surface on the next request. The promise
   * settles, never rejecting, once the model is loaded (its session created and probed) or its load failed.
   */
  warmUp(): Promise<void> {
    const settled = this.model().then(noop, noop);
    // onnxruntime-node's load (tens of ms, synchronous) once the reads the load just started are on their way: a turn of
    // the event loop later, their requests are sent and the services answer them meanwhile.
    // A failure to load surfaces where the session is created (a ModelContractError), not here.
    afterRequestsSent(onnxRuntime).catch(noop);
    // The shadow state too, so the first request's flush does not wait for its read; after the model, whose load is the
    // first answer's critical path (the state's read loads an SDK client).
    const { shadow } = this.options;
    if (shadow) settled.then(() => shadow.refresh()).catch(noop);
    return settled;
  }

  /**
   * Answers a request; never rejects. Not an async function: on the serving path the model run's callback builds the
   * response, so a request costs one promise hop beyond the run itself.
   */
  handle(request: InferenceRequest): Promise<InferenceResponse> {
    // The latency clock is read only for requests whose latency is sampled (NaN otherwise; InferenceMetrics), and the
    // flush interval is timed on the request's arrival when the transport gives it: a busy container serves most
    // requests without reading a clock.
    const started = request.path === '/invocations' ? this.options.metrics.startRequest() : Number.NaN;
    const response = this.route(request, started);
    if (!this.options.flushWithRequests || !this.flushDue(request.receivedAt)) return response;
    return response.then((answer) => this.flush().then(() => answer));
  }

  private route(request: InferenceRequest, started: number): Promise<InferenceResponse> {
    try {
      if (request.path === '/invocations') {
        if (request.method !== 'POST') throw new MethodNotAllowedError(`${request.method} ${request.path}: use POST`, 'POST');
        return this.invoke(request, started);
      }
      if (request.path === '/ping') {
        if (request.method !== 'GET' && request.method !== 'HEAD') throw new MethodNotAllowedError(`${request.method} ${request.path}: use GET`, 'GET, HEAD');
        return this.ping().catch((error: unknown) => this.failed(request, started, error));
      }
      // Not an alias of /invocations (one route that metrics and docs describe); posting to the bare URL is the common
      // mistake, so its answer names the route.
      if (request.path === '/') throw new RouteNotFoundError(`${request.method} /: predictions are served at POST /invocations (readiness at GET /ping)`);
      throw new RouteNotFoundError(`no route ${request.method} ${request.path}; the routes are POST /invocations and GET /ping`);
    } catch (error) {
      return Promise.resolve(this.failed(request, started, error));
    }
  }

  /** The error's response, counted and (for a 5xx) logged. */
  private failed(request: InferenceRequest, started: number, error: unknown): InferenceResponse {
    const response = errorResponse(error);
    if (request.path === '/invocations') this.options.metrics.recordFailure(started, response.statusCode);
    if (response.statusCode >= 500) logger.error('request failed', { requestId: request.requestId, error: error as Error });
    return response;
  }

  /**
   * Whether the flush interval has passed or capture lines pile up. A request's arrival time stands for now unless
   * it is behind the last flush (queued while that flush ran, or a hand-made event with any time): then the clock
   * decides.
   */
  private flushDue(receivedAt: number | undefined): boolean {
    const now = receivedAt !== undefined && receivedAt >= this.lastFlushAt ? receivedAt : this.clock();
    return now - this.lastFlushAt >= this.flushIntervalMs || (this.options.capture?.bufferedLines ?? 0) >= this.flushAtLines;
  }

  /** Publishes the metrics and delivers the buffered capture (one flush at a time); never throws. */
  flush(): Promise<void> {
    this.flushing ??= this.flushNow().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async flushNow(): Promise<void> {
    this.lastFlushAt = this.clock();
    const { capture, shadow, metrics } = this.options;
    // The Lambda handler's sink loads the SDK's Firehose client on its first delivery: a cold start's cost, once, which
    // the delivery's budget below does not cover.
    if (capture && capture.bufferedLines > 0) await capture.ready();
    // Shadow copies go out beside the capture, under the same budget: a flush lasts no longer for having a shadow.
    const budget = AbortSignal.timeout(this.options.captureBudgetMs ?? 300);
    const shadowed = shadow?.flush(budget).then((result) => {
      if (result.failed + result.dropped > 0) logger.warn('shadow copies not sent', { sent: result.sent, failed: result.failed, dropped: result.dropped });
      if (result.stateError) logger.warn('shadow state not read', { error: result.stateError });
    });
    if (capture) {
      const result = await capture.flush(budget);
      metrics.recordCapture(result.delivered, result.failed + result.dropped);
      if (result.failed + result.dropped > 0) logger.warn('capture lines not delivered', { ...result });
    }
    await shadowed;
    try {
      metrics.publish();
    } catch (error) {
      logger.error('metrics not published', { error: error as Error });
    }
  }

  private invokeOrFail(request: InferenceRequest, started: number): Promise<InferenceResponse> {
    try {
      return this.invoke(request, started);
    } catch (error) {
      return Promise.resolve(this.failed(request, started, error));
    }
  }

  /** Validation throws synchronously (the caller answers it); once the model is loaded the only asynchronous step is the model run. */
  private invoke(request: InferenceRequest, started: number): Promise<InferenceResponse> {
    const { body } = request;
    if (body === undefined || body === '') throw new InvalidRequestError('body: expected JSON of the form {"instances": [...]}');
    checkBodySize(body, request.isBase64Encoded ?? false, this.limits);
    const model = this.loaded;
    if (!model) {
      // The first request waits for the load; its latency includes it.
      return this.model().then(
        () => this.invokeOrFail(request, started),
        (error: unknown) => this.failed(request, started, error),
      );
    }
    const text = request.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
    const { session, version } = model;
    const invocation = parseInvocation(text, session, this.limits);
    return session.runWith(
      invocation.features,
      invocation.rows,
      (output) => {
        session.releaseInputBuffer(invocation.features);
        const prediction = encodePrediction(session, output, invocation.rows, version, request.requestId);
        this.options.metrics.recordSuccess(started, prediction.rows, prediction.positives);
        if (prediction.classCounts) this.options.metrics.recordClasses(session.labels, prediction.classCounts);
        // Opted-out requests (the holdout check) are not live traffic: neither captured nor copied to a shadow.
        const captured = !request.captureOptOut && this.options.capture?.sample() === true;
        const shadowed = !request.captureOptOut && this.options.shadow?.sample() === true;
        if (captured || shadowed) this.capture(model, invocation, output, request.requestId, { captured, shadowed });
        return { statusCode: 200, headers: JSON_HEADERS, body: prediction.body };
      },
      (error) => this.failed(request, started, error),
    );
  }

  private async ping(): Promise<InferenceResponse> {
    const model = this.loaded ?? (await this.model());
    const { session, version } = model;
    const labels = session.task === 'regression' ? {} : { labels: session.labels };
    return json(200, { status: 'ready', model: this.options.source.model, modelVersion: version, task: session.task, ...labels, features: session.featureNames });
  }

  /** The request's rows as capture records, to the capture buffer and/or (features and live answers) to the shadow's. */
  private capture(model: LoadedModel, invocation: Invocation, output: ModelOutput, requestId: string, to: { captured: boolean; shadowed: boolean }): void {
    const { session, version } = model;
    const copied: CopiedRequest['rows'] = [];
    const at = new Date(this.clock()).toISOString();
    const instances = sentInstances(invocation);
    const multiclass = session.task === 'multiclass-classification';
    for (let r = 0; r < invocation.rows; r++) {
      // Multiclass: the predicted class's probability, and every class's (a row with a non-finite one is skipped).
      const probabilities = multiclass ? classProbabilities(output, r) : undefined;
      const prediction = probabilities ? probabilities[predictedClass(output, r)] : positiveProbability(output, r);
      if (!Number.isFinite(prediction) || (probabilities && !probabilities.every(Number.isFinite))) continue;
      const label = session.task === 'regression' ? undefined : predictedLabel(session, output, r);
      const record = {
        model: this.options.source.model,
        modelVersion: version,
        at,
        requestId,
        predictionId: predictionId(requestId, r),
        features: instanceValues(instances[r], session),
        prediction,
        ...(label === undefined ? {} : { label }),
        ...(probabilities ? { probabilities } : {}),
      };
      if (to.captured) this.options.capture?.add(record);
      if (to.shadowed) copied.push({ features: record.features, live: { prediction, ...(label === undefined ? {} : { label }) } });
    }
    if (copied.length) this.options.shadow?.add(version, session.featureNames, { requestId, at, rows: copied });
  }

  /** The loaded model; loads it once (concurrent callers share the load) and remembers a failure for a while. */
  private model(): Promise<LoadedModel> {
    if (this.loaded) return Promise.resolve(this.loaded);
    const { failure } = this;
    if (failure && this.clock() - failure.at < (this.options.retryLoadAfterMs ?? 30_000)) return Promise.reject(failure.error);
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<LoadedModel> {
    const { source, metrics } = this.options;
    // A process's first load counts from the process's start (the Lambda handler starts its reads as it loads its code):
    // what a new environment takes to be ready. A later one (a retry after a failure) from its own start.
    const startedAt = this.failure ? performance.now() : 0;
    try {
      const artifact = await source.load();
      const session = await ModelSession.create(artifact);
      this.loaded = { session, version: artifact.version };
      this.failure = undefined;
      const loadTimeMs = performance.now() - startedAt;
      metrics.recordModelLoad(loadTimeMs);
      logger.info('model loaded', {
        model: source.model,
        modelVersion: artifact.version,
        artifactUri: artifact.artifactUri,
        artifactSha256: artifact.artifactSha256,
        loadTimeMs: Math.round(loadTimeMs),
      });
      return this.loaded;
    } catch (cause) {
      const error = cause instanceof ModelUnavailableError ? cause : new ModelUnavailableError(`model load failed: ${(cause as Error).message}`, { cause });
      this.failure = { error, at: this.clock() };
      if (source.version !== undefined) metrics.recordModelLoadError();
      logger.error('model not loaded', { model: source.model, modelVersion: source.version, error });
      throw error;
    }
  }
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): InferenceResponse {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** Typed errors map to their status; anything else is a defect, reported as 500 without internals. */
function errorResponse(error: unknown): InferenceResponse {
  if (error instanceof InferenceError) {
    const headers: Record<string, string> = error instanceof MethodNotAllowedError ? { allow: error.allow } : {};
    return json(error.statusCode, { error: error.name, message: error.message }, headers);
  }
  return json(500, { error: 'InternalError', message: 'the request could not be served; see the logs' });
}
