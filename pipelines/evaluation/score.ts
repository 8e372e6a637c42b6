import type { ModelMetadata } from '../../contracts/model-metadata';
import { parseCsvText } from '../common/csv';
import { classIndices, DataValidationError, requireClasses, toNumericTable, type NumericTable, type TableSpec } from '../common/tabular';
import { computeMetrics, type Metrics } from './metrics';
import type { ModelOutput, ModelSession } from '../../lambdas/inference/model-session';
import { positiveProbability } from '../../lambdas/inference/predict';

/**
 * How a multiclass label column is written: class indices 0..K-1 (the processed splits, a registered holdout set)
 * or the class labels of metadata.json (a data scientist's own file).
 */
export type MulticlassLabels = 'class-index' | 'class-label';

/**
 * Reads a labelled split (CSV, header row) for a model: the model's features by name, and the label in the
 * last column (the processing job's layout) unless `label` names it. A multiclass label becomes its class index.
 */
export function readLabelledCsv(
  source: string,
  text: string,
  metadata: ModelMetadata,
  label?: string,
  multiclassLabels: MulticlassLabels = 'class-index',
): NumericTable {
  const csv = parseCsvText(text);
  const spec = labelledTableSpec(source, csv.header, metadata, label, multiclassLabels);
  const table = toNumericTable([{ source, ...csv }], spec);
  requireClasses(table.labels, spec, source);
  return table;
}

/** readLabelledCsv's spec for a file with `header`: the model's features, the label last unless named. */
export function labelledTableSpec(
  source: string,
  header: readonly string[],
  metadata: ModelMetadata,
  label?: string,
  multiclassLabels: MulticlassLabels = 'class-index',
): TableSpec {
  const labelColumn = label ?? header[header.length - 1];
  if (!labelColumn) throw new DataValidationError(`${source} is empty`);
  const classes = metadata.task === 'multiclass-classification' ? (metadata.labels ?? []) : undefined;
  return {
    task: metadata.task,
    features: metadata.features,
    label: labelColumn,
    classes: classes && multiclassLabels === 'class-index' ? classIndices(classes.length) : classes,
  };
}

/** The model's raw output on every row of a table, through the inference tier's session wrapper. */
export function predictTable(model: ModelSession, table: NumericTable): Promise<ModelOutput> {
  return model.run(Float32Array.from(table.features), table.rowCount);
}

/**
 * The metrics of a model's output against the labels: the positive class read exactly as the deployed model
 * answers it (which the deployment's holdout-parity check relies on), every class probability of a multiclass model.
 */
export function metricsOf(task: ModelMetadata['task'], labels: ArrayLike<number>, output: ModelOutput): Metrics {
  if (task === 'multiclass-classification') return computeMetrics(task, labels, output);
  return computeMetrics(task, labels, Float64Array.from({ length: labels.length }, (_, r) => positiveProbability(output, r)));
}

/** The model's metrics on a labelled table. */
export async function scoreTable(model: ModelSession, table: NumericTable, task: ModelMetadata['task']): Promise<Metrics> {
  return metricsOf(task, table.labels, await predictTable(model, table));
}
