import { csvRows } from '../../pipelines/common/csv-stream';
import { DataValidationError, toNumericTable, type NumericTable, type TableSpec } from '../../pipelines/common/tabular';
import { labelledTableSpec } from '../../pipelines/evaluation/score';
import type { ModelMetadata } from '../../contracts/model-metadata';

/** Consecutive rows of a holdout set, numbered as in its file. */
export interface HoldoutBatch {
  /** 0-based position among the batches. */
  index: number;
  /** 0-based data row of the batch's first row. */
  offset: number;
  table: NumericTable;
}

/**
 * A holdout set read as it streams in, `batchRows` rows at a time, each batch checked and converted exactly as
 * readLabelledCsv checks a whole file (the model's features by name, the label last, a multiclass label as its class
 * index), with errors naming the row's number in the file. Only the batch being filled is held, never the file.
 * `spec` receives the table spec once the header is read, for the checks that need every label (requireClasses).
 */
export async function* holdoutBatches(
  source: string,
  bytes: AsyncIterable<Uint8Array>,
  metadata: ModelMetadata,
  batchRows: number,
  spec: (spec: TableSpec) => void = () => undefined,
): AsyncGenerator<HoldoutBatch> {
  let header: string[] | undefined;
  let tableSpec: TableSpec | undefined;
  let rows: string[][] = [];
  let index = 0;
  let offset = 0;
  const batch = (): HoldoutBatch => {
    const table = toNumericTable([{ source, header: header!, rows, firstRow: offset + 1 }], tableSpec!);
    const result = { index: index++, offset, table };
    offset += rows.length;
    rows = [];
    return result;
  };
  const onHeader = (names: string[]) => {
    header = names;
    tableSpec = labelledTableSpec(source, names, metadata);
    spec(tableSpec);
  };
  for await (const { cells } of csvRows(bytes, onHeader)) {
    rows.push(cells);
    if (rows.length === batchRows) yield batch();
  }
  if (!header) throw new DataValidationError(`${source} is empty`);
  if (rows.length > 0) yield batch();
  if (offset === 0) throw new DataValidationError(`no data rows in ${source}`);
}
