import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvChunkError, planCsvChunks } from '../../../lambdas/scoring/csv-chunks';
import { parseCsvText } from '../../../pipelines/common/csv';

/** A cell that may need quoting: commas, quotes and line breaks inside quotes. */
const cell = fc.oneof(
  fc.stringMatching(/^[a-z0-9.]{0,6}$/),
  fc.stringMatching(/^[a-z ,"\n\r]{1,8}$/).map((text) => `"${text.replace(/"/g, '""')}"`),
);
const csvText = fc
  .record({
    columns: fc.integer({ min: 1, max: 4 }),
    rows: fc.integer({ min: 0, max: 40 }),
    lineBreak: fc.constantFrom('\n', '\r\n'),
    emptyLines: fc.array(fc.nat(60), { maxLength: 4 }),
    finalBreak: fc.boolean(),
  })
  .chain(({ columns, rows, lineBreak, emptyLines, finalBreak }) =>
    fc.array(fc.array(cell, { minLength: columns, maxLength: columns }), { minLength: rows, maxLength: rows }).map((body) => {
      const lines = [Array.from({ length: columns }, (_, i) => `c${i}`).join(','), ...body.map((r) => r.join(','))];
      // Empty lines anywhere after the header are not rows.
      for (const at of emptyLines) lines.splice(1 + (at % lines.length), 0, '');
      return lines.join(lineBreak) + (finalBreak ? lineBreak : '');
    }),
  );

describe('planCsvChunks', () => {
  it('splits into chunks of whole rows that, each parsed after the header, give every row once, in order, with its index', () => {
    fc.assert(
      fc.property(csvText, fc.integer({ min: 1, max: 7 }), fc.array(fc.nat(300), { maxLength: 5 }), (text, rowsPerChunk, cuts) => {
        const bytes = Buffer.from(text);
        const plan = planCsvChunks(rowsPerChunk);
        // The bytes arrive in arbitrary pieces, as reads of a stream do.
        let from = 0;
        for (const cut of [...cuts.map((c) => c % (bytes.length + 1))].sort((a, b) => a - b)) {
          plan.push(bytes.subarray(from, Math.max(from, cut)));
          from = Math.max(from, cut);
        }
        plan.push(bytes.subarray(from));
        const result = plan.finish();

        const whole = parseCsvText(text);
        expect(result.rows).toBe(whole.rows.length);
        expect(result.bytes).toBe(bytes.length);
        const header = bytes.subarray(0, result.headerEnd).toString();
        const fromChunks = result.chunks.flatMap((chunk, i) => {
          expect(chunk.rows).toBe(i < result.chunks.length - 1 ? rowsPerChunk : chunk.rows);
          expect(chunk.firstRow).toBe(i * rowsPerChunk);
          const parsed = parseCsvText(header + bytes.subarray(chunk.start, chunk.end).toString());
          expect(parsed.rows).toHaveLength(chunk.rows);
          return parsed.rows;
        });
        expect(fromChunks).toEqual(whole.rows);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a CSV that ends inside a quoted field, and a chunk size that is not a positive integer', () => {
    const plan = planCsvChunks(10);
    plan.push(Buffer.from('a,b\n1,"open\n'));
    expect(() => plan.finish()).toThrow(new CsvChunkError('the CSV ends inside a quoted field (12 bytes read)'));
    expect(() => planCsvChunks(0)).toThrow('rowsPerChunk must be a positive integer, got 0');
  });
});
