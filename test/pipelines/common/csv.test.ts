import { describe, expect, it } from 'vitest';
import { formatCsv, parseCsvText } from '../../../pipelines/common/csv';

describe('CSV', () => {
  it('writes numbers as the shortest text that reads back to the same double', () => {
    const values = [0.1 + 0.2, 1e-300, -2.5e-7, 123456789012345680000, 1 / 3];
    const { rows } = parseCsvText(formatCsv(['a', 'b', 'c', 'd', 'e'], [values]));
    expect(rows[0].map(Number)).toEqual(values);
  });

  it('quotes text with commas, quotes or line breaks, and reads it back as written', () => {
    const header = ['size, mm', 'say "hi"', 'label'];
    const rows = [[1.5, 2, 'ball, bearing'], [3, 4, 'line\nbreak'], [5, 6, 'plain']];
    const text = formatCsv(header, rows);
    expect(text.split('\n')[0]).toBe('"size, mm","say ""hi""",label');
    expect(parseCsvText(text)).toEqual({ header, rows: rows.map((row) => row.map(String)) });
  });

  it('reads a header with a byte-order mark, CRLF line ends and surrounding spaces', () => {
    expect(parseCsvText('\ufeff mean radius ,target\r\n1,0\r\n\r\n')).toEqual({ header: ['mean radius', 'target'], rows: [['1', '0']] });
  });
});
