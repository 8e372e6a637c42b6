import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { QUALITY_MEASURES, QUALITY_METRIC_NAMES, qualityReportKey, type VersionQuality } from '../../contracts/ground-truth';
import { putObject } from '../../pipelines/common/s3';
import { s3Uri } from '../../contracts/storage-layout';
import { scanCaptureWindow } from '../drift/capture-window';
import { NotFoundError } from '../registry/errors';
import type { ModelRegistry } from '../registry/registry';
import { JoinedPredictions } from './joined-predictions';
import { scanLabelObjects } from './label-objects';
import { addLabelledRows, type LabelledRowsResult } from './labelled-rows';
import type { QualityConfig } from './quality-config';
import { measureVersion } from './quality-measures';

export interface QualityJobDeps {
  s3: S3Client;
  registry: Pick<ModelRegistry, 'getModel'>;
  metrics: Metrics;
  logger: Logger;
  now?: () => Date;
}

export interface QualityJobSettings {
  bucket: string;
  model: string;
  config: QualityConfig;
}

/** One run's report (also written to quality-reports/<model>/<time>.json). */
export interface QualityReport {
  model: string;
  at: string;
  window: { start: string; end: string };
  /** The version whose quality the alarms watch (metrics with the Model dimension alone); none before the first deployment. */
  servedVersion: number | null;
  labelObjects: number;
  labels: number;
  invalidLabelLines: number;
  invalidLabelExamples: string[];
  /** Labels whose id no captured prediction of the window has: unknown, not sampled for capture, or older than the window. */
  unmatchedLabels: number;
  unmatchedExamples: string[];
  /** Labels that joined a prediction but are no class of the model (a regressor's: not a number). */
  unusableLabels: number;
  /** Per version with labelled predictions; measures only for versions with at least `minLabelled`. */
  versions: VersionQuality[];
  /** Labelled rows added to the training data (absent when the config names no dataset prefix). */
  labelledRows?: LabelledRowsResult;
}

/**
 * One quality run: the labels written in the window, joined by prediction id to the predictions captured in the window,
 * measured per version. Publishes, per version (dimensions Model, ModelVersion), the labelled count and the task's
 * measures; for the served version the same measures with the Model dimension alone, which the alarms watch (a
 * canary or retired version's quality does not start a retraining); and the unmatched and unusable label counts.
 * Adds the joined rows to the training data with their lineage and writes a report.
 */
export async function runQualityJob(deps: QualityJobDeps, settings: QualityJobSettings): Promise<QualityReport> {
  const { s3, metrics, logger } = deps;
  const { bucket, model, config } = settings;
  const now = (deps.now ?? (() => new Date()))();
  const start = new Date(now.getTime() - config.windowHours * 3_600_000);

  const labelScan = await scanLabelObjects(s3, bucket, model, start);
  const joined = new JoinedPredictions(labelScan.labels, config);
  const captureScan = labelScan.labels.size === 0 ? undefined : await scanCaptureWindow(s3, bucket, model, start, now, (record) => joined.add(record));
  if (labelScan.invalidLines > 0 || (captureScan?.invalidLines ?? 0) > 0) {
    logger.warn('Skipped lines', { invalidLabelLines: labelScan.invalidLines, examples: labelScan.invalidExamples, invalidCaptureLines: captureScan?.invalidLines ?? 0 });
  }

  const servedVersion = config.servedVersion ?? (await liveVersionOf(deps.registry, model)) ?? null;
  const versions = [...joined.versions.entries()]
    .sort(([a], [b]) => a - b)
    .map(([version, rows]) => (rows.truths.length >= config.minLabelled ? measureVersion(version, rows, config.task) : { modelVersion: version, labelled: rows.truths.length }));

  // The rows go into the training data before the metrics go out: a retraining this run's alarm starts reads them.
  const labelledRows =
    config.trainingDatasetPrefix === undefined
      ? undefined
      : await addLabelledRows(
          s3,
          { bucket, model, datasetPrefix: config.trainingDatasetPrefix, features: config.features, labelColumn: config.labelColumn, at: now },
          joined.labelledRows,
        );

  for (const quality of versions) {
    metrics.addDimensions({ Model: model, ModelVersion: String(quality.modelVersion) });
    publishQuality(metrics, quality, config, now);
    if (quality.modelVersion === servedVersion) {
      metrics.addDimension('Model', model);
      publishQuality(metrics, quality, config, now);
    }
  }
  // One timestamp for every document of a run, so a version's measures and the served ones line up per run.
  metrics.setTimestamp(now);
  metrics.addDimension('Model', model);
  metrics.addMetric(QUALITY_METRIC_NAMES.unmatchedLabels, MetricUnit.Count, joined.unmatchedLabels);
  metrics.addMetric(QUALITY_METRIC_NAMES.unusableLabels, MetricUnit.Count, joined.unusableLabels);
  metrics.publishStoredMetrics();

  const report: QualityReport = {
    model,
    at: now.toISOString(),
    window: { start: start.toISOString(), end: now.toISOString() },
    servedVersion,
    labelObjects: labelScan.objectKeys.length,
    labels: labelScan.labels.size,
    invalidLabelLines: labelScan.invalidLines,
    invalidLabelExamples: labelScan.invalidExamples,
    unmatchedLabels: joined.unmatchedLabels,
    unmatchedExamples: joined.unmatchedExamples(20),
    unusableLabels: joined.unusableLabels,
    versions,
    ...(labelledRows ? { labelledRows } : {}),
  };
  const key = qualityReportKey(model, now);
  await putObject(s3, bucket, key, JSON.stringify(report, null, 2), 'application/json');
  logger.info('Quality measured', { model, servedVersion, labels: report.labels, unmatchedLabels: report.unmatchedLabels, versions, reportUri: s3Uri(bucket, key) });
  return report;
}

/** One EMF document: the labelled count and the measures the version has, under the dimensions set before. */
function publishQuality(metrics: Metrics, quality: VersionQuality, config: QualityConfig, at: Date): void {
  metrics.setTimestamp(at);
  metrics.addMetric(QUALITY_METRIC_NAMES.labelledPredictions, MetricUnit.Count, quality.labelled);
  for (const measure of QUALITY_MEASURES[config.task]) {
    const value = quality[measure];
    if (value !== undefined) metrics.addMetric(QUALITY_METRIC_NAMES[measure], MetricUnit.NoUnit, value);
  }
  metrics.publishStoredMetrics();
}

/** The registry's live version; none before the model's first registration or deployment. */
async function liveVersionOf(registry: QualityJobDeps['registry'], model: string): Promise<number | undefined> {
  try {
    return (await registry.getModel(model)).liveVersion ?? undefined;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}
