import type { ModelMetadata } from '../../lambdas/shared/model-metadata';
import { parseCsvText } from '../common/csv';
import { DataValidationError, requireBothClasses, toNumericTable, type NumericTable, type TableSpec } from '../common/tabular';
import { computeMetrics, type Metrics } from './metrics';
import type { OnnxPredictor } from './onnx-predict';

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

/** The model's metrics on a labelled table. */
export async function scoreTable(predictor: OnnxPredictor, table: NumericTable, task: ModelMetadata['task']): Promise<Metrics> {
  const predictions = await predictor.predict(table.features, table.rowCount);
  return computeMetrics(task, table.labels, predictions);
}
