import type { ModelOutput, ModelSession } from '../inference/model-session';
import { toNumber } from '../../pipelines/common/tabular';
import { classProbabilities, positiveProbability, predictedLabel } from '../inference/predict';

/**
 * Batch scoring of rows (of a CSV or a Parquet file) with the model the live tier serves, through the same ModelSession and the same label
 * and probability rules as the invocation response (lambdas/inference/predict.ts), so a row scored here and the same
 * row sent to the live function give the same numbers. Output is CSV, one line per input row, in input order:
 *
 *   row_id,model_version,label,probability_<label 0>,...   (classifiers)
 *   row_id,model_version,prediction                        (regressors)
 *
 * `row_id` is the value of the row-id column when one is named, else the row's 0-based index among the file's data
 * rows. Numbers are written as the response writes them (shortest round-trip text of the float32 output; empty for a
 * non-finite output, which the response writes as null).
 */

/** One data row: its 0-based index among the file's data rows and its cells in header order (CSV text, Parquet values). */
export interface DataRow {
  readonly index: number;
  readonly cells: readonly unknown[];
}

export interface ScoreOptions {
  readonly modelVersion: number;
  /** Column whose value identifies a row in the output. @default - the row's index among the data rows */
  readonly rowIdColumn?: string;
  /** Rows per model run. @default 2048 */
  readonly batchRows?: number;
}

export class ScoringInputError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ScoringInputError';
  }
}

/** The output's header line (without a line break). */
export function scoredHeader(session: ModelSession): string {
  const columns = session.task === 'regression' ? ['prediction'] : ['label', ...session.labels.map((label) => `probability_${label}`)];
  return ['row_id', 'model_version', ...columns].map(csvField).join(',');
}

/**
 * Scores `rows` (whose cells follow `header`) and yields the output lines (each ending with a line break) a batch at a
 * time. A missing feature column, or a cell that is not a finite float32 number, fails with the row and column named.
 */
export async function* scoreRows(session: ModelSession, header: readonly string[], rows: AsyncIterable<DataRow>, options: ScoreOptions): AsyncGenerator<string> {
  const columnOf = new Map(header.map((name, i) => [name, i]));
  const missing = session.featureNames.filter((name) => !columnOf.has(name));
  if (missing.length) throw new ScoringInputError(`the input has no column for feature${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}`);
  const rowIdColumn = options.rowIdColumn === undefined ? undefined : columnOf.get(options.rowIdColumn);
  if (options.rowIdColumn !== undefined && rowIdColumn === undefined) throw new ScoringInputError(`the input has no row-id column "${options.rowIdColumn}"`);
  const featureColumns = session.featureNames.map((name) => columnOf.get(name)!);
  const batchRows = options.batchRows ?? 2048;
  const features = new Float32Array(batchRows * session.width);
  let ids: string[] = [];

  const flush = async () => {
    const output = await session.run(ids.length === batchRows ? features : features.subarray(0, ids.length * session.width), ids.length);
    const text = encodeRows(session, output, ids, options.modelVersion);
    ids = [];
    return text;
  };
  for await (const row of rows) {
    const base = ids.length * session.width;
    for (let f = 0; f < featureColumns.length; f++) features[base + f] = cellNumber(row, featureColumns[f], header);
    ids.push(String(rowIdColumn === undefined ? row.index : (row.cells[rowIdColumn] ?? '')));
    if (ids.length === batchRows) yield await flush();
  }
  if (ids.length) yield await flush();
}

function encodeRows(session: ModelSession, output: ModelOutput, ids: readonly string[], modelVersion: number): string {
  let text = '';
  for (let r = 0; r < ids.length; r++) {
    const prefix = `${csvField(ids[r])},${modelVersion},`;
    if (session.task === 'regression') text += `${prefix}${number(positiveProbability(output, r))}\n`;
    else text += `${prefix}${csvField(String(predictedLabel(session, output, r)))},${probabilities(session, output, r).map(number).join(',')}\n`;
  }
  return text;
}

/** Every class probability in label order; a binary classifier with one sigmoid column has p0 = 1 - p1, as the response. */
function probabilities(session: ModelSession, output: ModelOutput, r: number): number[] {
  if (session.task === 'multiclass-classification' || output.columns === 2) return classProbabilities(output, r);
  const p1 = positiveProbability(output, r);
  return [1 - p1, p1];
}

const FLOAT32_MAX = 3.4028234663852886e38;

function cellNumber(row: DataRow, column: number, header: readonly string[]): number {
  const cell = row.cells[column];
  const value = toNumber(cell);
  if (!Number.isFinite(value) || Math.abs(value) > FLOAT32_MAX) {
    throw new ScoringInputError(`row ${row.index}, column "${header[column]}": expected a finite number, got ${typeof cell === 'bigint' ? cell : JSON.stringify(cell ?? '')}`);
  }
  return value;
}

const number = (value: number) => (Number.isFinite(value) ? String(value) : '');
const csvField = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
