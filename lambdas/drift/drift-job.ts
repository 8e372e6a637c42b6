import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { ModelRegistry } from '../registry/registry';
import { baselineSchema, type Baseline } from '../shared/baseline';
import { driftReportKey, parseS3Uri, s3Uri } from '../shared/storage-layout';
import { readCaptureWindow } from './capture-window';
import { compareFeatures, referencesFromBaseline, type CurrentColumn, type DriftReport } from './compare';
import { thresholdsOf, type DriftConfig } from './drift-config';
import { categoryCounts } from './statistics/categorical';

/** The job cannot judge drift: no baseline for the live version, or a baseline that does not fit the model. */
export class DriftJobError extends Error {
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

export type DriftJobResult =
  | { status: 'no-live-version' }
  | { status: 'insufficient-samples'; version: number; sampleCount: number; minSamples: number }
  | { status: 'evaluated'; version: number; sampleCount: number; reportUri: string; report: DriftReport };

async function loadBaseline(s3: S3Client, uri: string): Promise<Baseline> {
  const { bucket, key } = parseS3Uri(uri);
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = await object.Body!.transformToString();
  const parsed = baselineSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new DriftJobError(`baseline ${uri} is invalid: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** Columns of the captured rows in the model's feature order. */
function currentColumns(rows: { features: number[] }[], config: DriftConfig): CurrentColumn[] {
  return config.features.map((feature, index) => {
    const values = Float64Array.from(rows, (row) => row.features[index]);
    return feature.type === 'numeric'
      ? { name: feature.name, type: 'numeric', values }
      : { name: feature.name, type: 'categorical', counts: categoryCounts(values) };
  });
}

/**
 * One drift run: the capture window of the live version (or the pinned `servedVersion`) against that version's
 * baseline, per-feature metrics (EMF) for the alarms, and a report in the artifact store.
 */
export async function runDriftJob(deps: DriftJobDeps, settings: DriftJobSettings): Promise<DriftJobResult> {
  const { s3, registry, metrics, logger } = deps;
  const { bucket, model, config } = settings;
  const now = (deps.now ?? (() => new Date()))();
  const liveVersion = config.servedVersion ?? (await registry.getModel(model)).liveVersion;
  if (liveVersion === undefined) {
    logger.info('No live version; nothing to compare', { model });
    return { status: 'no-live-version' };
  }
  const version = await registry.getVersion(model, liveVersion);
  if (!version.baselineUri) throw new DriftJobError(`version ${liveVersion} of "${model}" has no baseline URI`);

  const start = new Date(now.getTime() - config.windowHours * 3_600_000);
  const window = await readCaptureWindow(s3, bucket, model, start, now);
  const expectedWidth = config.features.length;
  const rows = window.records.filter(
    (r) => r.model === model && r.modelVersion === liveVersion && r.features.length === expectedWidth,
  );
  const wrongWidth = window.records.filter((r) => r.modelVersion === liveVersion && r.features.length !== expectedWidth).length;
  if (window.invalidLines > 0 || wrongWidth > 0) {
    logger.warn('Skipped capture rows', { invalidLines: window.invalidLines, wrongFeatureCount: wrongWidth, expectedWidth });
  }

  metrics.addDimension('Model', model);
  metrics.addMetric('DriftSampleCount', MetricUnit.Count, rows.length);
  if (rows.length < config.minSamples) {
    metrics.publishStoredMetrics();
    logger.info('Too few captured rows for a drift verdict', {
      model,
      version: liveVersion,
      sampleCount: rows.length,
      minSamples: config.minSamples,
      windowHours: config.windowHours,
    });
    return { status: 'insufficient-samples', version: liveVersion, sampleCount: rows.length, minSamples: config.minSamples };
  }

  const baseline = await loadBaseline(s3, version.baselineUri);
  let report: DriftReport;
  try {
    const references = referencesFromBaseline(baseline, config.features.map((f) => f.name));
    report = compareFeatures(references, currentColumns(rows, config), thresholdsOf(config));
  } catch (err) {
    throw new DriftJobError(`cannot compare the capture window with baseline ${version.baselineUri}: ${(err as Error).message}`, { cause: err });
  }
  metrics.addMetric('DriftedFeatureShare', MetricUnit.NoUnit, report.driftedFeatureShare);
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
  const document = { model, version: liveVersion, at: now.toISOString(), window: { start: start.toISOString(), end: now.toISOString() }, sampleCount: rows.length, baselineUri: version.baselineUri, ...report };
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(document, null, 2), ContentType: 'application/json' }));
  const reportUri = s3Uri(bucket, key);
  logger.info('Drift evaluated', {
    model,
    version: liveVersion,
    sampleCount: rows.length,
    driftedFeatureShare: report.driftedFeatureShare,
    drifted: report.drifted,
    driftedFeatures: report.features.filter((f) => f.drifted).map((f) => ({ name: f.name, reasons: f.reasons })),
    reportUri,
  });
  return { status: 'evaluated', version: liveVersion, sampleCount: rows.length, reportUri, report };
}
