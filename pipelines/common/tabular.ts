import type { FeatureSpec, TeamConfig } from '../../contracts/team-config';
import { identifierFor } from './column-names';

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
  /**
   * Multiclass only (required there): the values the label column may hold, in class order; a cell is the class
   * whose String() equals its trimmed text, and the table holds its index. Raw data is read with the team's
   * `model.classes`; processed splits, which hold indices already, with `classIndices(K)`.
   */
  classes?: readonly (string | number)[];
}

/** The class indices 0..k-1: the label values of a processed split of a k-class model. */
export const classIndices = (k: number): number[] => Array.from({ length: k }, (_, i) => i);

/**
 * Feature values row-major (`rowCount x features.length`, model order) and the labels: a regression target, a
 * binary 0/1, or a multiclass class index 0..K-1.
 */
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
  /** The 1-based data row number of `rows[0]` in its file, when the rows are one batch of a streamed file. @default 1 */
  firstRow?: number;
}

/** A cell as a number, as the trainer reads it: numbers, bigints, booleans as 1/0, numeric text; anything else NaN. */
export function toNumber(cell: unknown): number {
  if (typeof cell === 'number') return cell;
  if (typeof cell === 'bigint') return Number(cell);
  if (typeof cell === 'boolean') return cell ? 1 : 0;
  if (typeof cell === 'string' && cell.trim() !== '') return Number(cell.trim());
  return Number.NaN;
}

const describe = (cell: unknown) =>
  cell === null || cell === undefined || cell === '' ? 'an empty value' : `"${String(cell)}"`;

/** The class index of each class's text, for a multiclass spec; refuses a spec without classes. */
function classIndexOf(spec: TableSpec): Map<string, number> | undefined {
  if (spec.task !== 'multiclass-classification') return undefined;
  if (!spec.classes || spec.classes.length < 2) {
    throw new DataValidationError(`reading label "${spec.label}" of a multiclass model needs its classes (got ${spec.classes?.length ?? 0})`);
  }
  return new Map(spec.classes.map((c, i) => [String(c), i]));
}

/** Every configured column missing from `table`, in one message; a header that is the column written otherwise ("Mean Radius" for mean_radius) is named. */
function missingColumnsMessage(table: RawTable, missing: readonly string[]): string {
  const named = missing.map((name) => {
    const near = table.header.find((h, i) => h !== name && identifierFor(h, i + 1).toLowerCase() === name.toLowerCase());
    return near === undefined ? `"${name}"` : `"${name}" (the header has "${near}": rename it to ${name})`;
  });
  const what = missing.length === 1 ? `column ${named[0]} is` : `columns ${named.join(', ')} are`;
  return `${what} missing from ${table.source} (columns found: ${table.header.join(', ') || 'none'})`;
}

/** Validates raw tables against the spec and concatenates them in order into one numeric table. */
export function toNumericTable(tables: readonly RawTable[], spec: TableSpec): NumericTable {
  const columns = [...spec.features.map((f) => f.name), spec.label];
  const classIndex = classIndexOf(spec);
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
    const indices = columns.map((name) => table.header.indexOf(name));
    const missing = columns.filter((_, c) => indices[c] < 0);
    if (missing.length > 0) throw new DataValidationError(missingColumnsMessage(table, missing));
    table.rows.forEach((row, r) => {
      const where = (c: number) => `column "${columns[c]}", row ${(table.firstRow ?? 1) + r} of ${table.source}`;
      for (let c = 0; c < columnCount; c++) {
        const cell = row[indices[c]];
        const value = toNumber(cell);
        if (!Number.isFinite(value)) throw new DataValidationError(`${where(c)}: expected a finite number, got ${describe(cell)}`);
        if (spec.features[c].type === 'categorical' && !Number.isInteger(value)) {
          throw new DataValidationError(`${where(c)}: a categorical feature takes integer codes, got ${value}`);
        }
        features[(offset + r) * columnCount + c] = value;
      }
      labels[offset + r] = labelValue(row[indices[columnCount]], spec, classIndex, () => where(columnCount));
    });
    offset += table.rows.length;
  }
  return { features, labels, rowCount, columnCount };
}

function labelValue(cell: unknown, spec: TableSpec, classIndex: Map<string, number> | undefined, where: () => string): number {
  if (classIndex) {
    const index = cell === null || cell === undefined ? undefined : classIndex.get(String(cell).trim());
    if (index === undefined) {
      const allowed = (spec.classes ?? []).map((c) => `"${String(c)}"`).join(', ');
      throw new DataValidationError(`${where()}: ${describe(cell)} is not one of the classes ${allowed}`);
    }
    return index;
  }
  const value = toNumber(cell);
  if (!Number.isFinite(value)) throw new DataValidationError(`${where()}: expected a finite number, got ${describe(cell)}`);
  if (spec.task === 'binary-classification' && value !== 0 && value !== 1) {
    throw new DataValidationError(`${where()}: a binary label must be 0 or 1, got ${describe(cell)}`);
  }
  return value;
}

/** The class names of a classifier spec, by index: the multiclass classes, or 0 and 1. */
const classNamesOf = (spec: TableSpec): string[] =>
  spec.task === 'multiclass-classification' ? (spec.classes ?? []).map(String) : ['0', '1'];

/** Rows of each class index (labels of a classifier table). */
function classCounts(labels: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}

/**
 * How many rows hold each class index, for a classifier spec (binary: 0 and 1); empty for regression. Counts of
 * batches add up, so a dataset read in chunks, or in shards, is checked (`requireClassCounts`) without its labels.
 */
export const classCountsOf = (labels: ArrayLike<number>, spec: TableSpec): number[] =>
  spec.task === 'regression' ? [] : classCounts(labels, classNamesOf(spec).length);

/**
 * Throws unless there are rows and, for a classifier, at least two classes among the labels (binary: both 0 and
 * 1): with one class there is nothing to separate and no AUC. `what` names the data in the message.
 */
export function requireClasses(labels: ArrayLike<number>, spec: TableSpec, what: string): void {
  requireClassCounts(classCountsOf(labels, spec), labels.length, spec, what);
}

/** requireClasses of `rows` rows whose classes are counted already (`classCountsOf`). */
export function requireClassCounts(counts: readonly number[], rows: number, spec: TableSpec, what: string): void {
  if (rows === 0) throw new DataValidationError(`no data rows in ${what}`);
  if (spec.task === 'regression') return;
  const names = classNamesOf(spec);
  const present = counts.flatMap((n, k) => (n > 0 ? [names[k]] : []));
  if (present.length < 2) {
    const needs = spec.task === 'binary-classification' ? 'a classifier needs both 0 and 1' : 'a classifier needs at least 2 of its classes';
    throw new DataValidationError(`label "${spec.label}" has only one class (${present[0]}) in ${what}; ${needs}`);
  }
}

/**
 * Throws unless every class appears among `rows` rows whose classes are counted (`classCountsOf`): a model can only
 * learn the classes its training data shows. For binary classification this is `requireClassCounts`.
 */
export function requireEveryClassCount(counts: readonly number[], rows: number, spec: TableSpec, what: string): void {
  requireClassCounts(counts, rows, spec, what);
  if (spec.task !== 'multiclass-classification') return;
  const names = classNamesOf(spec);
  const missing = counts.flatMap((n, k) => (n === 0 ? [`"${names[k]}"`] : []));
  if (missing.length > 0) {
    throw new DataValidationError(
      `label "${spec.label}" has no rows of class ${missing.join(', ')} in ${what}; every class must appear in the training data (more rows of ${missing.length === 1 ? 'that class' : 'those classes'} are needed)`,
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
