import { pipeline, Readable } from 'node:stream';
import { parse } from 'csv-parse';

/** One data row of a streamed CSV: its 1-based number among the data rows (as error messages count them) and its cells. */
export interface CsvRow {
  row: number;
  cells: string[];
}

/**
 * Reads a CSV row by row with csv-parse's streaming parser (the options of parseCsvText: empty lines skipped,
 * quoted fields, CRLF, a BOM), so only the rows not yet consumed are held. `header` is called with the trimmed
 * header once it is read, before the first row is yielded; an empty input has no header and no rows.
 */
export async function* csvRows(bytes: AsyncIterable<Uint8Array>, header: (names: string[]) => void): AsyncGenerator<CsvRow> {
  const parser = parse({ skip_empty_lines: true, relax_column_count: true, bom: true });
  // pipeline destroys the parser with the source's error, which ends the loop below with that error.
  pipeline(Readable.from(bytes, { objectMode: false }), parser, () => undefined);
  let row = 0;
  for await (const cells of parser as AsyncIterable<string[]>) {
    if (row === 0) header(cells.map((name) => name.trim()));
    else yield { row, cells };
    row++;
  }
}
