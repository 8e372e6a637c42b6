import type { FeatureSpec, TeamConfig } from '../../contracts/team-config';
import { parseCsvText } from '../../pipelines/common/csv';
import { classIndices, rowOf, toNumericTable } from '../../pipelines/common/tabular';

/**
 * Traffic for any team's model, made from the holdout split of the run that trained it: the rows replayed as they
 * are (normal traffic), and a shifted copy (drifted traffic). The holdout split is in the processing job's layout:
 * features in the config's order, then the label (a class index for a multiclass model), so its rows are the
 * positional instances the inference tier takes.
 */
export interface HoldoutTable {
  readonly features: readonly FeatureSpec[];
  /** Feature values per row, in model order. */
  readonly rows: readonly (readonly number[])[];
  /** The label of each row as the split holds it (0/1, class index, or regression target). */
  readonly labels: readonly number[];
}

/** Reads a processed holdout split (`source` names it in errors: column, row and file). */
export function parseHoldout(text: string, config: TeamConfig, source: string): HoldoutTable {
  const { task, features, label, classes } = config.model;
  const table = toNumericTable([{ source, ...parseCsvText(text) }], {
    task,
    features,
    label,
    // Processed splits hold class indices, not the class labels of the raw data.
    classes: classes && classIndices(classes.length),
  });
  return {
    features,
    rows: Array.from({ length: table.rowCount }, (_, i) => rowOf(table, i)),
    labels: Array.from(table.labels),
  };
}

/** Population standard deviation of column `c`. */
function columnStd(rows: readonly (readonly number[])[], c: number): number {
  const n = rows.length;
  if (n === 0) return 0;
  let mean = 0;
  for (const row of rows) mean += row[c] / n;
  let variance = 0;
  for (const row of rows) variance += (row[c] - mean) ** 2 / n;
  return Math.sqrt(variance);
}

/**
 * The drifted copy: each numeric feature moved by `k` of its holdout standard deviations (population), each
 * categorical feature (integer codes) unchanged, labels kept. A column with no spread does not move.
 */
export function shiftNumericFeatures(table: HoldoutTable, k: number): HoldoutTable {
  const offsets = table.features.map((feature, c) => (feature.type === 'numeric' ? k * columnStd(table.rows, c) : 0));
  return { ...table, rows: table.rows.map((row) => row.map((value, c) => value + offsets[c])) };
}

/** `count` rows taken from `rows` in order, starting over at the end (traffic larger than the holdout split). */
export function replayRows<T>(rows: readonly T[], count: number): T[] {
  if (rows.length === 0) throw new RangeError('no holdout rows to replay');
  return Array.from({ length: count }, (_, i) => rows[i % rows.length]);
}

/**
 * The table as raw data the processing job reads: the config's feature columns and label column, a multiclass
 * label written as its class (raw data holds classes as written; the splits hold their indices).
 */
export function holdoutToRawCsv(table: HoldoutTable, config: TeamConfig): string {
  const { label, classes } = config.model;
  const labelText = (value: number) => (classes ? csvCell(String(classes[value])) : String(value));
  const lines = [[...table.features.map((f) => f.name), label].join(',')];
  table.rows.forEach((row, i) => lines.push([...row.map(String), labelText(table.labels[i])].join(',')));
  return `${lines.join('\n')}\n`;
}

const csvCell = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
