import type { ModelMetadata } from '../../lambdas/shared/model-metadata';
import { parseCsvText } from '../common/csv';
import { DataValidationError, requireBothClasses, toNumericTable, type NumericTable, type TableSpec } from '../common/tabular';
import { computeMetrics, type Metrics } from './metrics';
import type { ModelSession } from '../../lambdas/inference/model-session';
import { positiveProbability } from '../../lambdas/inference/predict';

/**
 * Reads a labelled split (CSV, header row) for a model: the model's features by name, and the label in the
 * last column (the processing job's layout) unless `label` names it.
 */
export function readLabelledCsv(source: string, text: string, metadata: ModelMetadata, label?: string): NumericTable {
  const csv = parseCsvText(text);
  const labelColumn = label ?? csv.header[csv.header.length - 1];
  if (!labelColumn) throw new DataValidationError(`${source} is empty`);
  const spec: TableSpec = { task: metadata.task, features: metadata.features, label: labelColumn };
  const table = toNumericTable([{ source, ...csv }], spec);
  requireBothClasses(table.labels, spec, source);
  return table;
}

/**
 * The model's metrics on a labelled table, scored through the inference tier's session wrapper: the positive
 * class is read exactly as the deployed model answers it, which the deployment's holdout-parity check relies on.
 */
export async function scoreTable(model: ModelSession, table: NumericTable, task: ModelMetadata['task']): Promise<Metrics> {
  const output = await model.run(Float32Array.from(table.features), table.rowCount);
  const predictions = Float64Array.from({ length: table.rowCount }, (_, r) => positiveProbability(output, r));
  return computeMetrics(task, table.labels, predictions);
}
