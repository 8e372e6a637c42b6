import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { oneLine } from '../common/job-config';
import { parseCsvText } from '../common/csv';
import { DataValidationError, requireClasses, toNumericTable, type NumericTable, type TableSpec } from '../common/tabular';
import { TRAINING_PIPELINE_SPEC } from '../../contracts/training-pipeline-spec';
import { parseHyperparameters } from './hyperparameters';
import { sageMakerPaths, type SageMakerPaths } from './sagemaker-paths';
import { trainModel } from './train';

/**
 * Entry of the training container (SageMaker runs it as `train`) and of the local twin's training step.
 * Reads the train and validation channels (CSV, header row, features in config order, label last), trains,
 * and writes model.onnx + metadata.json to the model directory. On failure it writes the reason to
 * <output>/failure, which SageMaker reports as the job's FailureReason, and exits 1. Paths: sagemaker-paths.ts.
 */

interface Channel {
  table: NumericTable;
  sha256: string;
}

function readChannel(paths: SageMakerPaths, name: string, spec: TableSpec): Channel {
  const dir = paths.channel(name);
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.csv')).sort();
  } catch (err) {
    throw new DataValidationError(`channel "${name}" is missing: cannot read ${dir}`, { cause: err });
  }
  if (files.length === 0) throw new DataValidationError(`channel "${name}" has no .csv files in ${dir}`);
  const hash = createHash('sha256');
  const tables = files.map((file) => {
    const bytes = readFileSync(join(dir, file));
    hash.update(bytes);
    return { source: `channel "${name}" file ${file}`, ...parseCsvText(bytes.toString('utf8')) };
  });
  const table = toNumericTable(tables, spec);
  requireClasses(table.labels, spec, `channel "${name}"`);
  return { table, sha256: hash.digest('hex') };
}

function run(paths: SageMakerPaths): void {
  const startedAt = Date.now();
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(paths.hyperparametersFile, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read hyperparameters from ${paths.hyperparametersFile}: ${(err as Error).message}`, { cause: err });
  }
  const hp = parseHyperparameters(raw);
  const spec: TableSpec = { task: hp.task, features: hp.features, label: hp.label };
  const { channels } = TRAINING_PIPELINE_SPEC.training;
  const train = readChannel(paths, channels.train, spec);
  const validation = readChannel(paths, channels.validation, spec);
  const result = trainModel(hp, train.table, validation.table, train.sha256);

  mkdirSync(paths.modelDir, { recursive: true });
  writeFileSync(join(paths.modelDir, TRAINING_PIPELINE_SPEC.training.modelFile), result.onnx);
  writeFileSync(join(paths.modelDir, TRAINING_PIPELINE_SPEC.training.metadataFile), `${JSON.stringify(result.metadata, null, 2)}\n`);
  const report = {
    algorithm: hp.algorithm,
    trainRows: train.table.rowCount,
    validationRows: validation.table.rowCount,
    trainingSeconds: (Date.now() - startedAt) / 1000,
    metrics: result.metadata.metrics,
  };
  mkdirSync(paths.outputDataDir, { recursive: true });
  writeFileSync(join(paths.outputDataDir, 'training-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report));
}

const paths = sageMakerPaths();
try {
  run(paths);
} catch (err) {
  const reason = oneLine(err);
  console.error(reason);
  try {
    mkdirSync(dirname(paths.failureFile), { recursive: true });
    writeFileSync(paths.failureFile, reason);
  } finally {
    process.exitCode = 1;
  }
}
