import type { FeatureSpec, TeamConfig } from '../../lib/team-config';

/**
 * Turning raw cells (CSV text or Parquet values) into a numeric table with the model's columns, and failing
 * with a message a data owner can act on: which file, which column, which 1-based data row, what was there.
 * The processing job, the trainer, evaluation and bring-your-own-model all read data through here.
 */

export class DataValidationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataValidationError';
  }
}

/** What a table must hold: the features in model order, then the label. */
export interface TableSpec {
  task: TeamConfig['model']['task'];
  features: readonly FeatureSpec[];
  label: string;
}

/** Feature values row-major (`rowCount x features.length`, model order) and the labels. */
export interface NumericTable {
  features: Float64Array;
  labels: Float64Array;
  rowCount: number;
  columnCount: number;
}

/** Raw cells of one source file; `rows[i][j]` belongs to `header[j]`. */
export interface RawTable {
  source: string;
  header: readonly string[];
  rows: readonly (readonly unknown[])[];
}

function toNumber(cell: unknown): number {
  if (typeof cell === 'number') return cell;
  if (typeof cell === 'bigint') return Number(cell);
  if (typeof cell === 'boolean') return cell ? 1 : 0;
  if (typeof cell === 'string' && cell.trim() !== '') return Number(cell.trim());
  return Number.NaN;
}

const describe = (cell: unknown) =>
  cell === null || cell === undefined || cell === '' ? 'an empty value' : `"${String(cell)}"`;

/** Validates raw tables against the spec and concatenates them in order into one numeric table. */
export function toNumericTable(tables: readonly RawTable[], spec: TableSpec): NumericTable {
  const columns = [...spec.features.map((f) => f.name), spec.label];
  const rowCount = tables.reduce((n, t) => n + t.rows.length, 0);
  if (rowCount === 0) {
    const sources = tables.map((t) => t.source).join(', ') || 'the input';
    throw new DataValidationError(`no data rows in ${sources}`);
  }
  const columnCount = spec.features.length;
  const features = new Float64Array(rowCount * columnCount);
  const labels = new Float64Array(rowCount);
  let offset = 0;
  for (const table of tables) {
    const indices = columns.map((name) => {
      const index = table.header.indexOf(name);
      if (index < 0) {
        throw new DataValidationError(
          `column "${name}" is missing from ${table.source} (columns found: ${table.header.join(', ') || 'none'})`,
        );
      }
      return index;
    });
    table.rows.forEach((row, r) => {
      indices.forEach((index, c) => {
        const value = toNumber(row[index]);
        const where = `column "${columns[c]}", row ${r + 1} of ${table.source}`;
        if (!Number.isFinite(value)) {
          throw new DataValidationError(`${where}: expected a finite number, got ${describe(row[index])}`);
        }
        if (c < columnCount) {
          if (spec.features[c].type === 'categorical' && !Number.isInteger(value)) {
            throw new DataValidationError(`${where}: a categorical feature takes integer codes, got ${value}`);
          }
          features[(offset + r) * columnCount + c] = value;
        } else {
          if (spec.task === 'binary-classification' && value !== 0 && value !== 1) {
            throw new DataValidationError(`${where}: a binary label must be 0 or 1, got ${describe(row[index])}`);
          }
          labels[offset + r] = value;
        }
      });
    });
    offset += table.rows.length;
  }
  return { features, labels, rowCount, columnCount };
}

/** Throws unless there are rows and, for classification, both classes; `what` names the data in the message. */
export function requireBothClasses(labels: ArrayLike<number>, spec: TableSpec, what: string): void {
  if (labels.length === 0) throw new DataValidationError(`no data rows in ${what}`);
  if (spec.task !== 'binary-classification') return;
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i];
  if (positives === 0 || positives === labels.length) {
    throw new DataValidationError(
      `label "${spec.label}" has only one class (${positives === 0 ? 0 : 1}) in ${what}; a classifier needs both 0 and 1`,
    );
  }
}

/** Row `i`'s features as a fresh array. */
export const rowOf = (table: NumericTable, i: number): number[] =>
  Array.from(table.features.subarray(i * table.columnCount, (i + 1) * table.columnCount));

/** One feature column as a fresh array. */
export function columnOf(table: NumericTable, c: number): Float64Array {
  const out = new Float64Array(table.rowCount);
  for (let i = 0; i < table.rowCount; i++) out[i] = table.features[i * table.columnCount + c];
  return out;
}
