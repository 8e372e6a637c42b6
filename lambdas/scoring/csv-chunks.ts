/**
 * Where a CSV object splits into chunks of whole rows, so batch scoring can hand each chunk to its own worker (a
 * Distributed Map child) that reads only its byte range. One streaming pass over the bytes: rows end at a line break
 * outside double quotes (a quoted field may hold line breaks, as csv-parse reads it), empty lines are not rows (as
 * csv-parse's skip_empty_lines), and the first row is the header. Memory is bounded by one read, not by the object.
 */

/** A run of whole data rows: bytes [start, end) of the object, the first row's 0-based index among the data rows. */
export interface CsvChunk {
  readonly start: number;
  readonly end: number;
  readonly firstRow: number;
  readonly rows: number;
}

export interface CsvChunkPlan {
  /** The header row's bytes [0, headerEnd), to prepend to a chunk so it parses alone. */
  readonly headerEnd: number;
  readonly chunks: CsvChunk[];
  readonly rows: number;
  readonly bytes: number;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

export function planCsvChunks(rowsPerChunk: number): { push(bytes: Uint8Array): void; finish(): CsvChunkPlan } {
  if (!Number.isSafeInteger(rowsPerChunk) || rowsPerChunk < 1) throw new RangeError(`rowsPerChunk must be a positive integer, got ${rowsPerChunk}`);
  const chunks: CsvChunk[] = [];
  let offset = 0;
  let inQuotes = false;
  /** Bytes of the current line other than CR, to tell an empty line from a row. */
  let lineHasContent = false;
  let headerEnd = -1;
  let rows = 0;
  let chunkStart = 0;
  let chunkRows = 0;

  const endRow = (end: number) => {
    if (headerEnd < 0) {
      headerEnd = end;
      chunkStart = end;
      return;
    }
    rows++;
    chunkRows++;
    if (chunkRows === rowsPerChunk) closeChunk(end);
  };
  const closeChunk = (end: number) => {
    if (chunkRows === 0) return;
    chunks.push({ start: chunkStart, end, firstRow: rows - chunkRows, rows: chunkRows });
    chunkStart = end;
    chunkRows = 0;
  };

  return {
    push(bytes: Uint8Array) {
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i];
        if (b === QUOTE) {
          inQuotes = !inQuotes;
          lineHasContent = true;
        } else if (b === LF && !inQuotes) {
          if (lineHasContent) endRow(offset + i + 1);
          else if (chunkRows === 0 && headerEnd >= 0) chunkStart = offset + i + 1;
          lineHasContent = false;
        } else if (b !== CR) {
          lineHasContent = true;
        }
      }
      offset += bytes.length;
    },
    finish() {
      if (inQuotes) throw new CsvChunkError(`the CSV ends inside a quoted field (${offset} bytes read)`);
      if (lineHasContent) endRow(offset);
      closeChunk(offset);
      return { headerEnd: Math.max(headerEnd, 0), chunks, rows, bytes: offset };
    },
  };
}

/** Plans the chunks of a whole stream (an S3 object's body). */
export async function planCsvStream(body: AsyncIterable<Uint8Array>, rowsPerChunk: number): Promise<CsvChunkPlan> {
  const plan = planCsvChunks(rowsPerChunk);
  for await (const bytes of body) plan.push(bytes);
  return plan.finish();
}

export class CsvChunkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvChunkError';
  }
}
