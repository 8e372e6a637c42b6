import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { NotFoundError } from '../registry/errors';
import type { ModelRegistry } from '../registry/registry';
import { baselineSchema, type Baseline } from '../../contracts/baseline';
import { driftReportKey, parseS3Uri, s3Uri } from '../../contracts/storage-layout';
import { readSortedValues } from './baseline-objects';
import { scanCaptureWindow } from './capture-window';
import { compareFeatures, referencesFromBaseline, type DriftReport } from './compare';
import { thresholdsOf, type DriftConfig, type DriftThresholds } from './drift-config';
import { comparePredictedClasses, referenceClassCounts, type PredictionDrift } from './prediction-drift';
import { WindowColumns } from './window-columns';

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

export interface DriftJobSettings {
  bucket: string;
  model: string;
  config: DriftConfig;
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
  window: WindowColumns,
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

/**
 * One drift run: the capture window of the live version (or the pinned `servedVersion`) against that version's
 * baseline, per-feature metrics (EMF) for the alarms, for a classifier the predicted classes against the training
 * labels' class mix, and a report in the artifact store.
 */
export async function runDriftJob(deps: DriftJobDeps, settings: DriftJobSettings): Promise<DriftJobResult> {
  const { s3, registry, metrics, logger } = deps;
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
  // Streamed record by record: the window keeps the served version's feature values and counts, not its records.
  const window = new WindowColumns(model, liveVersion, config);
  const scan = await scanCaptureWindow(s3, bucket, model, start, now, (record) => window.add(record));
  if (scan.invalidLines > 0 || window.wrongWidth > 0) {
    logger.warn('Skipped capture rows', { invalidLines: scan.invalidLines, wrongFeatureCount: window.wrongWidth, expectedWidth: config.features.length });
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

  const baseline = await loadBaseline(s3, version.baselineUri);
  const names = config.features.map((f) => f.name);
  // Read sorted and checked against baseline.json's SHA-256 (a BaselineObjectError names a bad object): the run sorts only the window.
  const sortedValues = await readSortedValues(s3, version.baselineUri, baseline, names);
  const thresholds = thresholdsOf(config);
  let report: DriftJobReport;
  try {
    const references = referencesFromBaseline(baseline, names, sortedValues);
    report = compareFeatures(references, window.columns(), thresholds);
    const prediction = judgePredictions(baseline, window, config, thresholds, logger);
    if (prediction) report.prediction = prediction;
  } catch (err) {
    throw new DriftJobError(`cannot compare the capture window with baseline ${version.baselineUri}: ${(err as Error).message}`, { cause: err });
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

  const key = driftReportKey(model, now);
  const document = { model, version: liveVersion, at: now.toISOString(), window: { start: start.toISOString(), end: now.toISOString() }, sampleCount: window.rows, baselineUri: version.baselineUri, ...report };
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(document, null, 2), ContentType: 'application/json' }));
  const reportUri = s3Uri(bucket, key);
  logger.info('Drift evaluated', {
    model,
    version: liveVersion,
    sampleCount: window.rows,
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
