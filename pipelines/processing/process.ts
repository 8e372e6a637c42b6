import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { TeamConfig } from '../../contracts/team-config';
import { computeBaseline, targetBaseline, type BaselineArtifacts } from '../../lambdas/drift/baseline';
import { writeBaseline } from '../../lambdas/drift/baseline-objects';
import { parseS3Uri, s3Uri } from '../../contracts/storage-layout';
import { TRAINING_PIPELINE_SPEC, SPLIT_NAMES, type SplitName } from '../../contracts/training-pipeline-spec';
import { formatCsv } from '../common/csv';
import { DataValidationError, requireClassCounts, requireEveryClassCount, type TableSpec } from '../common/tabular';
import type { DatasetLineage } from './dataset-lineage';
import { datasetKeys, DEFAULT_CHUNK_ROWS, type DatasetSource } from './read-dataset';
import { createRunArtifact } from './run-artifact';
import { RunArtifactUpload } from './run-artifact-upload';
import { scanObjects } from './scan';
import { TrainSample, type SplitTotals } from './train-rows';

export interface ProcessingRequest {
  inputUri: string;
  /** s3://bucket/runs/<execution>/processed/ — splits, baseline.json (with its baseline/*.f64) and dataset.json go under it. */
  outputUri: string;
  config: TeamConfig;
  splitSeed: string;
  /** CSV rows read and validated at a time (a Parquet file is read a row group at a time). @default 10,000 */
  chunkRows?: number;
  /** Train rows the baseline is computed from, at most (train-rows.ts). @default TRAINING_PIPELINE_SPEC.processing.baselineSampleRows */
  baselineSampleRows?: number;
}

const spec = TRAINING_PIPELINE_SPEC.processing;

export const tableSpecOf = (config: TeamConfig): TableSpec => ({
  task: config.model.task,
  features: config.model.features,
  label: config.model.label,
  classes: config.model.classes,
});

/** The run's output folder: its bucket and key prefix (ending in /). */
export function outputLocation(outputUri: string): { bucket: string; prefix: string } {
  const { bucket, key } = parseS3Uri(outputUri.endsWith('/') ? outputUri : `${outputUri}/`);
  return { bucket, prefix: key };
}

const columnsOf = (tableSpec: TableSpec): string[] => [...tableSpec.features.map((f) => f.name), tableSpec.label];

/** The final split objects, each opened with the header line; nothing is visible until they complete. */
export async function openSplitUploads(s3: S3Client, outputUri: string, tableSpec: TableSpec): Promise<Record<SplitName, RunArtifactUpload>> {
  const { bucket, prefix } = outputLocation(outputUri);
  const header = formatCsv(columnsOf(tableSpec), []);
  const uploads = Object.fromEntries(
    SPLIT_NAMES.map((split) => [split, new RunArtifactUpload(s3, bucket, `${prefix}${split}/${spec.splitFile}`, 'text/csv')]),
  ) as Record<SplitName, RunArtifactUpload>;
  for (const split of SPLIT_NAMES) await uploads[split].write(header);
  return uploads;
}

/**
 * Throws unless the dataset has rows, every class, and splits a model can be trained and scored on: training must
 * see every class; validation and holdout need two to be scored (see computeMetrics for a class they lack).
 */
export function requireUsableSplits(totals: SplitTotals, sources: readonly DatasetSource[], tableSpec: TableSpec, inputUri: string): void {
  const rowCount = SPLIT_NAMES.reduce((n, split) => n + totals.rows[split], 0);
  if (rowCount === 0) throw new DataValidationError(`no data rows in ${sources.map((s) => s.uri).join(', ') || inputUri}`);
  const all = totals.classCounts.train.map((n, k) => n + totals.classCounts.validation[k] + totals.classCounts.holdout[k]);
  requireEveryClassCount(all, rowCount, tableSpec, inputUri);
  for (const split of SPLIT_NAMES) {
    const rows = totals.rows[split];
    const counts = totals.classCounts[split];
    if (split === 'train') requireEveryClassCount(counts, rows, tableSpec, `the train split (${rows} of ${rowCount} rows)`);
    else requireClassCounts(counts, rows, tableSpec, `the ${split} split (${rows} of ${rowCount} rows, more data is needed)`);
  }
}

/**
 * Completes the splits, then writes the training baseline for the drift monitor and the lineage record (last, so a
 * dataset.json in the bucket implies the rest is there). The same for one process or merged shards: given the same
 * train rows in the same order, the same bytes.
 */
export async function finishRun(
  s3: S3Client,
  request: ProcessingRequest,
  run: { uploads: Record<SplitName, RunArtifactUpload>; train: TrainSample; totals: SplitTotals; sources: DatasetSource[]; sha256: string },
): Promise<DatasetLineage> {
  const tableSpec = tableSpecOf(request.config);
  const { bucket, prefix } = outputLocation(request.outputUri);
  for (const split of SPLIT_NAMES) await run.uploads[split].complete();

  const features = computeBaseline(
    tableSpec.features.map((feature, c) => ({ name: feature.name, type: feature.type, values: run.train.column(c) })),
  );
  const classes = tableSpec.task === 'regression' ? undefined : (tableSpec.classes ?? [0, 1]);
  const labels = run.train.column(tableSpec.features.length);
  const baseline: BaselineArtifacts = classes
    ? { ...features, document: { ...features.document, target: targetBaseline(tableSpec.label, labels, classes) } }
    : features;
  const baselineKey = `${prefix}${spec.baselineFile}`;
  // Each numeric feature's training values sorted once, beside baseline.json, so a drift run sorts only its window.
  await writeBaseline((key, body, contentType) => createRunArtifact(s3, bucket, key, body, contentType), baselineKey, baseline);

  const splitUri = (split: SplitName) => s3Uri(bucket, run.uploads[split].key);
  const lineage: DatasetLineage = {
    formatVersion: 1,
    inputUri: request.inputUri,
    sources: run.sources,
    sha256: run.sha256,
    columns: columnsOf(tableSpec),
    rowCount: SPLIT_NAMES.reduce((n, split) => n + run.totals.rows[split], 0),
    splitSeed: request.splitSeed,
    splitRatios: spec.splitRatios,
    splits: {
      train: { rows: run.totals.rows.train, uri: splitUri('train') },
      validation: { rows: run.totals.rows.validation, uri: splitUri('validation') },
      holdout: { rows: run.totals.rows.holdout, uri: splitUri('holdout') },
    },
    baselineUri: s3Uri(bucket, baselineKey),
  };
  await createRunArtifact(s3, bucket, `${prefix}${spec.datasetFile}`, JSON.stringify(lineage, null, 2), 'application/json');
  return lineage;
}

/** An empty sample of the request's train rows. */
export const trainSampleOf = (request: ProcessingRequest, expectedRows?: number): TrainSample =>
  new TrainSample(request.config.model.features.length, request.baselineSampleRows ?? spec.baselineSampleRows, expectedRows);

/** Runs `work`; if it throws, aborts the uploads (their parts are dropped, no object appears) and rethrows. */
export async function abortingOnFailure<T>(uploads: readonly RunArtifactUpload[], work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    await Promise.allSettled(uploads.map((upload) => upload.abort()));
    throw err;
  }
}

/**
 * The processing job in one process: read and validate the raw dataset a chunk at a time, split it, write the
 * splits as they are read, then the training baseline for the drift monitor and the lineage record. Nothing is
 * visible unless every row is valid and every split is usable (the splits are uploads completed at the end), so a
 * bad dataset leaves no half-processed run behind. A dataset of many objects can run as shards instead (shard.ts,
 * merge.ts), with the same output to the byte.
 */
export async function processDataset(s3: S3Client, request: ProcessingRequest): Promise<DatasetLineage> {
  const tableSpec = tableSpecOf(request.config);
  const { bucket, keys } = await datasetKeys(s3, request.inputUri);
  const uploads = await openSplitUploads(s3, request.outputUri, tableSpec);
  return abortingOnFailure(Object.values(uploads), async () => {
    const train = trainSampleOf(request);
    const whole = createHash('sha256');
    const scan = await scanObjects(
      s3,
      bucket,
      keys,
      { spec: tableSpec, splitSeed: request.splitSeed, chunkRows: request.chunkRows ?? DEFAULT_CHUNK_ROWS, alsoHash: [whole] },
      { splits: uploads, train: (rows, keys) => train.append(rows, keys) },
    );
    requireUsableSplits(scan, scan.sources, tableSpec, request.inputUri);
    return finishRun(s3, request, { uploads, train, totals: scan, sources: scan.sources, sha256: whole.digest('hex') });
  });
}
