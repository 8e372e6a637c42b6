import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { NotFoundError } from '../registry/errors';
import type { ModelRegistry } from '../registry/registry';
import { baselineSchema, type Baseline } from '../../contracts/baseline';
import { driftReportKey, parseS3Uri, s3Uri } from '../../contracts/storage-layout';
import { driftChunksKey, driftSummariesPrefix, driftSummaryKey, type DriftChunk } from '../../contracts/drift-summary';
import { listObjects } from '../../pipelines/common/s3';
import { readSortedValues } from './baseline-objects';
import { listCaptureWindow, scanCaptureObjects, type CaptureObject } from './capture-window';
import { referencesFromBaseline, type DriftReport } from './compare';
import { thresholdsOf, type DriftConfig, type DriftThresholds } from './drift-config';
import { comparePredictedClasses, referenceClassCounts, type PredictionDrift } from './prediction-drift';
import type { DriftPlan } from './run-schemas';
import { ChunkSummarizer, type HeldValueBound } from './chunk-summarizer';
import { summaryReadsInFlight } from './drift-memory';
import {
  addSummaryText,
  compareSummary,
  mergeWindowSummaries,
  summaryDocumentText,
  summaryReferences,
  type SummaryReferences,
  type WindowSummary,
} from './window-summary';

/** The job cannot judge drift: no baseline for the live version, or a baseline that does not fit the model. */
class DriftJobError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DriftJobError';
  }
}

export interface DriftJobDeps {
  s3: S3Client;
  registry: Pick<ModelRegistry, 'getModel' | 'getVersion'>;
  metrics: Metrics;
  logger: Logger;
  now?: () => Date;
}

/** What the decide step needs: no registry (the plan names the version and its baseline). */
type DecideDeps = Omit<DriftJobDeps, 'registry' | 'now'>;

export interface DriftJobSettings {
  bucket: string;
  model: string;
  config: DriftConfig;
  /** The function's memory size in MiB (AWS_LAMBDA_FUNCTION_MEMORY_SIZE): the decide step's summaries read at once fit in it. */
  memoryMiB: number;
  /** Numeric feature values a function holds before it summarizes them, beside the baseline's references (heldValuesFor its memory size). */
  heldValues: HeldValueBound;
}

/**
 * What one run judged. `drifted` (with `driftedFeatures` and `driftedFeatureShare`) is the verdict on the input
 * features, as the config's `driftedFeatureShare` defines it; `prediction` is the separate verdict on the classes a
 * classifier predicted (absent for a regressor, a window with too few predicted classes, or a baseline without the
 * training labels' class mix). The prediction does not count as one more feature: it is an output, and its share
 * of "features" would weigh differently for a model of 3 features than for one of 300. It has its own alarm.
 */
export interface DriftJobReport extends DriftReport {
  prediction?: PredictionDrift;
}

export type DriftJobResult =
  | { status: 'no-live-version' }
  /** The window is more than one chunk: its chunk list is written for the Distributed Map, whose workers summarize it. */
  | { status: 'fan-out'; plan: DriftPlan }
  | { status: 'insufficient-samples'; version: number; sampleCount: number; minSamples: number }
  | { status: 'evaluated'; version: number; sampleCount: number; reportUri: string; report: DriftJobReport };

async function loadBaseline(s3: S3Client, uri: string): Promise<Baseline> {
  const { bucket, key } = parseS3Uri(uri);
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = await object.Body!.transformToString();
  const parsed = baselineSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new DriftJobError(`baseline ${uri} is invalid: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** The predicted-class verdict of a classifier's window, or undefined (and why, logged) when there is none to judge. */
function judgePredictions(
  baseline: Baseline,
  window: WindowSummary,
  config: DriftConfig,
  thresholds: DriftThresholds,
  logger: Logger,
): PredictionDrift | undefined {
  if (config.task === 'regression') return undefined;
  if (!baseline.target) {
    logger.warn(
      'The baseline records no class distribution of the training labels (written before baselines did, or by a processing ' +
        'container that does not write `target`); predicted classes not compared',
    );
    return undefined;
  }
  const classified = window.rows - window.unclassified;
  if (classified < config.minSamples) {
    logger.warn('Too few captured rows with a predicted class for a verdict on the predicted classes', {
      classified,
      unclassified: window.unclassified,
      minSamples: config.minSamples,
    });
    return undefined;
  }
  const predicted = { counts: window.predictedClasses, unclassified: window.unclassified };
  return comparePredictedClasses(referenceClassCounts(baseline.target.counts, config), predicted, thresholds);
}

/** Groups the window's objects, in order, into chunks of at most `bytesPerChunk` (an object larger than that alone). */
export function chunkObjects(objects: readonly CaptureObject[], bytesPerChunk: number): string[][] {
  const chunks: string[][] = [];
  let bytes = Infinity;
  for (const object of objects) {
    if (bytes + object.size > bytesPerChunk) {
      chunks.push([]);
      bytes = 0;
    }
    chunks[chunks.length - 1].push(object.key);
    bytes += object.size;
  }
  return chunks;
}

/** The baseline side of a run: baseline.json, its sorted values and their KS bins. */
async function readReferences(s3: S3Client, baselineUri: string, config: DriftConfig): Promise<{ baseline: Baseline; references: SummaryReferences }> {
  const baseline = await loadBaseline(s3, baselineUri);
  const names = config.features.map((f) => f.name);
  // Read sorted and checked against baseline.json's SHA-256 (a BaselineObjectError names a bad object): the run sorts only the window.
  const sortedValues = await readSortedValues(s3, baselineUri, baseline, names);
  try {
    return { baseline, references: summaryReferences(referencesFromBaseline(baseline, names, sortedValues)) };
  } catch (err) {
    throw new DriftJobError(`cannot compare the capture window with baseline ${baselineUri}: ${(err as Error).message}`, { cause: err });
  }
}

type ReferencesReader = () => ReturnType<typeof readReferences>;

/**
 * A drift run of the capture window of the live version (or the pinned `servedVersion`) against that version's
 * baseline. The window's capture objects are listed and grouped into chunks of `bytesPerChunk`:
 * - one chunk (or none): this function summarizes it and decides (`decideDrift`), the whole run in one invocation;
 * - more: it writes the chunk list for the drift state machine's Distributed Map and returns the plan; each worker
 *   summarizes its chunk (`summarizeChunk`) and the decide step merges the summaries and decides.
 * Both paths run the same code on their chunks: the single path is the fan-out with one chunk.
 */
export async function runDriftJob(deps: DriftJobDeps, settings: DriftJobSettings, execution: string): Promise<DriftJobResult> {
  const { s3, registry, logger } = deps;
  const { bucket, model, config } = settings;
  const now = (deps.now ?? (() => new Date()))();
  const liveVersion = config.servedVersion ?? (await liveVersionOf(registry, model));
  if (liveVersion === undefined) {
    logger.info('No live version; nothing to compare', { model });
    return { status: 'no-live-version' };
  }
  const version = await registry.getVersion(model, liveVersion);
  if (!version.baselineUri) throw new DriftJobError(`version ${liveVersion} of "${model}" has no baseline URI`);

  const start = new Date(now.getTime() - config.windowHours * 3_600_000);
  const objects = await listCaptureWindow(s3, bucket, model, start, now);
  const chunkKeys = chunkObjects(objects, config.bytesPerChunk);
  const plan: DriftPlan = {
    version: liveVersion,
    baselineUri: version.baselineUri,
    windowStart: start.toISOString(),
    windowEnd: now.toISOString(),
    execution,
    chunks: chunkKeys.length,
    chunksKey: driftChunksKey(model, execution),
    objectCount: objects.length,
  };
  const { chunks: _chunks, chunksKey: _key, objectCount: _objects, ...shared } = plan;
  const chunk = (keys: string[], index: number): DriftChunk => ({ ...shared, chunk: index, keys });
  if (chunkKeys.length <= 1) {
    // The baseline is read once for both steps, and only if the window has rows of the version.
    let read: ReturnType<typeof readReferences> | undefined;
    const references: ReferencesReader = () => (read ??= readReferences(s3, plan.baselineUri, config));
    const summary = await summarizeChunk(deps, settings, chunk(chunkKeys[0] ?? [], 0), references);
    return decideDrift(deps, settings, plan, summary, references);
  }
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: plan.chunksKey, Body: JSON.stringify(chunkKeys.map(chunk)), ContentType: 'application/json' }));
  logger.info('Drift run fans out', { model, version: liveVersion, objects: objects.length, chunks: chunkKeys.length, chunksKey: plan.chunksKey });
  return { status: 'fan-out', plan };
}

/**
 * One chunk of the window summarized: its objects streamed record by record into columns of the served version's
 * rows, counted into the baseline's bins whenever the function holds `heldValues` of them, and at the end (memory:
 * the baseline's references and at most that many feature values, whatever the chunk's or the window's size).
 */
async function summarizeChunk(
  deps: Pick<DriftJobDeps, 's3'>,
  settings: DriftJobSettings,
  chunk: DriftChunk,
  references: ReferencesReader = () => readReferences(deps.s3, chunk.baselineUri, settings.config),
): Promise<WindowSummary> {
  const summarizer = new ChunkSummarizer({ model: settings.model, version: chunk.version, config: settings.config }, settings.heldValues, async () => (await references()).references);
  const scan = await scanCaptureObjects(deps.s3, settings.bucket, chunk.keys, new Date(chunk.windowStart), new Date(chunk.windowEnd), (record) => summarizer.add(record));
  return summarizer.finish(scan);
}

/** A Distributed Map worker: its chunk's summary written to S3 for the decide step (the Map's results stay small). */
export async function summarizeChunkToS3(deps: Pick<DriftJobDeps, 's3'>, settings: DriftJobSettings, chunk: DriftChunk): Promise<{ chunk: number; summaryKey: string; rows: number }> {
  const summary = await summarizeChunk(deps, settings, chunk);
  const summaryKey = driftSummaryKey(settings.model, chunk.execution, chunk.chunk);
  // Streamed, a feature's encoding at a time (summaryDocumentText): the whole text would cost a copy per numeric feature's bins.
  const text = summaryDocumentText(chunk.chunk, summary);
  await deps.s3.send(
    new PutObjectCommand({ Bucket: settings.bucket, Key: summaryKey, Body: Readable.from(text.pieces()), ContentLength: text.bytes, ContentType: 'application/json' }),
  );
  return { chunk: chunk.chunk, summaryKey, rows: summary.rows };
}

/**
 * The decide step of a fanned-out run: the baseline's references read first (the memory left beside them sets how many
 * summaries are read at once: summaryReadsInFlight), then every chunk's summary streamed and added into the total a
 * feature's line at a time as it arrives (the counts add up exactly in any order), a few at a time so that S3's latency
 * per object overlaps, then decided.
 */
export async function decideFromSummaries(deps: DecideDeps, settings: DriftJobSettings, plan: DriftPlan): Promise<DriftJobResult> {
  const prefix = driftSummariesPrefix(settings.model, plan.execution);
  const summaries = await listObjects(deps.s3, settings.bucket, prefix);
  if (summaries.length !== plan.chunks) throw new DriftJobError(`the run planned ${plan.chunks} chunks but ${summaries.length} summaries are under ${prefix}`);
  const read = readReferences(deps.s3, plan.baselineUri, settings.config);
  const inFlight = summaryReadsInFlight(settings.memoryMiB, (await read).references, Math.max(0, ...summaries.map((s) => s.size)));
  const merged = mergeWindowSummaries([]);
  const open = async (key: string) => (await deps.s3.send(new GetObjectCommand({ Bucket: settings.bucket, Key: key }))).Body as Readable;
  await addChunkSummaries(merged, summaries.map(({ key }) => key), inFlight, open, (key) => s3Uri(settings.bucket, key));
  return decideDrift(deps, settings, plan, merged, () => read);
}

/**
 * Adds the chunk summaries `sources` into `total`, `inFlight` at a time: each opened, streamed and added a feature's
 * line at a time (addSummaryText). A DriftJobError names the summary (`uriOf`) that is malformed, cut off, or of
 * other features than the rest.
 */
export async function addChunkSummaries<S>(total: WindowSummary, sources: readonly S[], inFlight: number, open: (source: S) => Promise<Readable>, uriOf: (source: S) => string): Promise<void> {
  const featureCounts = new Map<S, number>();
  const pending = [...sources];
  const reader = async () => {
    for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
      const input = await open(next);
      const lines = createInterface({ input, crlfDelay: Infinity });
      try {
        featureCounts.set(next, await addSummaryText(total, lines));
      } catch (error) {
        throw new DriftJobError(`chunk summary ${uriOf(next)} is invalid: ${(error as Error).message}`, { cause: error });
      } finally {
        // A summary refused part-way is not read to its end.
        lines.close();
        input.destroy();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, sources.length) }, reader));
  // A summary of rows has every feature; one of none (no row of the served version in its chunk) has none.
  for (const [source, count] of featureCounts) {
    if (count > 0 && count !== total.features.length) throw new DriftJobError(`chunk summary ${uriOf(source)} has ${count} features, others ${total.features.length}`);
  }
}

/**
 * The verdicts on a window's (merged) summary: per-feature metrics (EMF) for the alarms, for a classifier the
 * predicted classes against the training labels' class mix, and a report in the artifact store.
 */
async function decideDrift(
  deps: DecideDeps,
  settings: DriftJobSettings,
  plan: DriftPlan,
  window: WindowSummary,
  readBaseline: ReferencesReader = () => readReferences(deps.s3, plan.baselineUri, settings.config),
): Promise<DriftJobResult> {
  const { s3, metrics, logger } = deps;
  const { bucket, model, config } = settings;
  const liveVersion = plan.version;
  if (window.invalidLines > 0 || window.wrongWidth > 0) {
    logger.warn('Skipped capture rows', { invalidLines: window.invalidLines, wrongFeatureCount: window.wrongWidth, expectedWidth: config.features.length });
  }

  metrics.addDimension('Model', model);
  metrics.addMetric('DriftSampleCount', MetricUnit.Count, window.rows);
  if (window.rows < config.minSamples) {
    metrics.publishStoredMetrics();
    logger.info('Too few captured rows for a drift verdict', {
      model,
      version: liveVersion,
      sampleCount: window.rows,
      minSamples: config.minSamples,
      windowHours: config.windowHours,
    });
    return { status: 'insufficient-samples', version: liveVersion, sampleCount: window.rows, minSamples: config.minSamples };
  }

  const { baseline, references } = await readBaseline();
  const thresholds = thresholdsOf(config);
  let report: DriftJobReport;
  try {
    report = compareSummary(references, window, thresholds);
    const prediction = judgePredictions(baseline, window, config, thresholds, logger);
    if (prediction) report.prediction = prediction;
  } catch (err) {
    throw new DriftJobError(`cannot compare the capture window with baseline ${plan.baselineUri}: ${(err as Error).message}`, { cause: err });
  }
  metrics.addMetric('DriftedFeatureShare', MetricUnit.NoUnit, report.driftedFeatureShare);
  if (report.prediction) {
    metrics.addMetric('PredictionDriftPsi', MetricUnit.NoUnit, report.prediction.psi);
    metrics.addMetric('PredictionDriftChiSquaredPValue', MetricUnit.NoUnit, report.prediction.chiSquared.pValue);
  }
  metrics.publishStoredMetrics();
  // One EMF document per feature: each carries its own Feature dimension value.
  for (const feature of report.features) {
    metrics.addDimension('Model', model);
    metrics.addDimension('Feature', feature.name);
    metrics.addMetric('FeaturePsi', MetricUnit.NoUnit, feature.psi);
    if (feature.ks) metrics.addMetric('FeatureKsStatistic', MetricUnit.NoUnit, feature.ks.statistic);
    metrics.publishStoredMetrics();
  }

  const end = new Date(plan.windowEnd);
  const key = driftReportKey(model, end);
  const document = {
    model,
    version: liveVersion,
    at: plan.windowEnd,
    window: { start: plan.windowStart, end: plan.windowEnd },
    sampleCount: window.rows,
    baselineUri: plan.baselineUri,
    ...report,
  };
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(document, null, 2), ContentType: 'application/json' }));
  const reportUri = s3Uri(bucket, key);
  logger.info('Drift evaluated', {
    model,
    version: liveVersion,
    sampleCount: window.rows,
    chunks: Math.max(plan.chunks, 1),
    driftedFeatureShare: report.driftedFeatureShare,
    drifted: report.drifted,
    driftedFeatures: report.features.filter((f) => f.drifted).map((f) => ({ name: f.name, reasons: f.reasons })),
    ...(report.prediction ? { predictionPsi: report.prediction.psi, predictionDrifted: report.prediction.drifted, predictionReasons: report.prediction.reasons } : {}),
    reportUri,
  });
  return { status: 'evaluated', version: liveVersion, sampleCount: window.rows, reportUri, report };
}

/**
 * The registry's live version of the model; none before its first registration (the schedule starts with the stack,
 * before the first training run registers anything): nothing to compare yet, not a failure for the dead-letter queue.
 */
async function liveVersionOf(registry: DriftJobDeps['registry'], model: string): Promise<number | undefined> {
  try {
    return (await registry.getModel(model)).liveVersion;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}
