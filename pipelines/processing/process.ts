import type { S3Client } from '@aws-sdk/client-s3';
import type { TeamConfig } from '../../contracts/team-config';
import { computeBaseline, targetBaseline, type BaselineArtifacts } from '../../lambdas/drift/baseline';
import { writeBaseline } from '../../lambdas/drift/baseline-objects';
import { parseS3Uri, s3Uri } from '../../contracts/storage-layout';
import { formatCsv } from '../common/csv';
import {
  columnOf,
  requireClasses,
  requireEveryClass,
  rowOf,
  toNumericTable,
  type NumericTable,
  type TableSpec,
} from '../common/tabular';
import { TRAINING_PIPELINE_SPEC, SPLIT_NAMES, type SplitName } from '../../contracts/training-pipeline-spec';
import type { DatasetLineage } from './dataset-lineage';
import { readDataset } from './read-dataset';
import { createRunArtifact } from './run-artifact';
import { assignSplits } from './split';

export interface ProcessingRequest {
  inputUri: string;
  /** s3://bucket/runs/<execution>/processed/ — splits, baseline.json (with its baseline/*.f64) and dataset.json go under it. */
  outputUri: string;
  config: TeamConfig;
  splitSeed: string;
}

const spec = TRAINING_PIPELINE_SPEC.processing;

export const tableSpecOf = (config: TeamConfig): TableSpec => ({
  task: config.model.task,
  features: config.model.features,
  label: config.model.label,
  classes: config.model.classes,
});

function subset(table: NumericTable, rows: readonly number[]): number[][] {
  return rows.map((i) => [...rowOf(table, i), table.labels[i]]);
}

/**
 * The processing job: read and validate the raw dataset, split it, write the splits, the training baseline
 * for the drift monitor and the lineage record. Nothing is written unless every row is valid and every split
 * is usable, so a bad dataset leaves no half-processed run behind.
 */
export async function processDataset(s3: S3Client, request: ProcessingRequest): Promise<DatasetLineage> {
  const tableSpec = tableSpecOf(request.config);
  const raw = await readDataset(s3, request.inputUri);
  const table = toNumericTable(raw.tables, tableSpec);
  requireEveryClass(table.labels, tableSpec, request.inputUri);
  const assignment = assignSplits(table, spec.splitRatios, request.splitSeed);
  for (const split of SPLIT_NAMES) {
    const labels = assignment[split].map((i) => table.labels[i]);
    // Training must see every class; validation and holdout need two to be scored (see computeMetrics for a class they lack).
    if (split === 'train') requireEveryClass(labels, tableSpec, `the train split (${labels.length} of ${table.rowCount} rows)`);
    else requireClasses(labels, tableSpec, `the ${split} split (${labels.length} of ${table.rowCount} rows, more data is needed)`);
  }

  const { bucket, key: prefix } = parseS3Uri(request.outputUri.endsWith('/') ? request.outputUri : `${request.outputUri}/`);
  const columns = [...tableSpec.features.map((f) => f.name), tableSpec.label];
  const splitUri = (split: SplitName) => s3Uri(bucket, `${prefix}${split}/${spec.splitFile}`);
  for (const split of SPLIT_NAMES) {
    const { key } = parseS3Uri(splitUri(split));
    await createRunArtifact(s3, bucket, key, formatCsv(columns, subset(table, assignment[split])), 'text/csv');
  }

  const train = assignment.train;
  const features = computeBaseline(
    tableSpec.features.map((feature, c) => {
      const column = columnOf(table, c);
      return { name: feature.name, type: feature.type, values: Float64Array.from(train, (i) => column[i]) };
    }),
  );
  const classes = tableSpec.task === 'regression' ? undefined : (tableSpec.classes ?? [0, 1]);
  const baseline: BaselineArtifacts = classes
    ? { ...features, document: { ...features.document, target: targetBaseline(tableSpec.label, Float64Array.from(train, (i) => table.labels[i]), classes) } }
    : features;
  const baselineKey = `${prefix}${spec.baselineFile}`;
  // Each numeric feature's training values sorted once, beside baseline.json, so a drift run sorts only its window.
  await writeBaseline((key, body, contentType) => createRunArtifact(s3, bucket, key, body, contentType), baselineKey, baseline);
  const baselineUri = s3Uri(bucket, baselineKey);

  const lineage: DatasetLineage = {
    formatVersion: 1,
    inputUri: request.inputUri,
    sources: raw.sources,
    sha256: raw.sha256,
    columns,
    rowCount: table.rowCount,
    splitSeed: request.splitSeed,
    splitRatios: spec.splitRatios,
    splits: {
      train: { rows: assignment.train.length, uri: splitUri('train') },
      validation: { rows: assignment.validation.length, uri: splitUri('validation') },
      holdout: { rows: assignment.holdout.length, uri: splitUri('holdout') },
    },
    baselineUri,
  };
  await createRunArtifact(s3, bucket, `${prefix}${spec.datasetFile}`, JSON.stringify(lineage, null, 2), 'application/json');
  return lineage;
}
