import { parse } from 'csv-parse/sync';

/**
 * CSV in and out of the pipelines. Numbers are written with `String(n)`, the shortest text that reads back to
 * the same double, so a split written by processing is read by the trainer bit for bit. Text (a header, a class
 * label) is quoted when it holds a comma, a quote or a line break (RFC 4180).
 */

const field = (value: number | string) =>
  typeof value === 'number' ? String(value) : /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;

export function formatCsv(header: readonly string[], rows: readonly (readonly (number | string)[])[]): string {
  return `${header.map(field).join(',')}\n${formatCsvRows(rows)}`;
}

/** Data lines only, each ending in a line break: a batch of rows appended to a CSV whose header is written already. */
export function formatCsvRows(rows: readonly (readonly (number | string)[])[]): string {
  let text = '';
  for (const row of rows) text += `${row.map(field).join(',')}\n`;
  return text;
}

/** Header and raw cell text of a CSV; empty lines are skipped, quoted fields and CRLF handled. */
export function parseCsvText(text: string): { header: string[]; rows: string[][] } {
  const records: string[][] = parse(text, { skip_empty_lines: true, relax_column_count: true, bom: true });
  if (records.length === 0) return { header: [], rows: [] };
  return { header: records[0].map((h) => h.trim()), rows: records.slice(1) };
}
