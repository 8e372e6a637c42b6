import { createHash, type Hash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer } from 'hyparquet';
import { parseS3Uri, s3Uri } from '../../contracts/storage-layout';
import { csvRows } from '../common/csv-stream';
import { listKeys } from '../common/s3';
import { openObject, rangedObject } from '../common/s3-stream';
import { DataValidationError, type RawTable } from '../common/tabular';

/** A source object of the dataset as the lineage records it. */
export interface DatasetSource {
  uri: string;
  bytes: number;
  sha256: string;
}

/** Rows per chunk the processing job holds at once, unless told otherwise: a few MB of cells. */
export const DEFAULT_CHUNK_ROWS = 10_000;

const DATA_FILE = /\.(csv|parquet)$/i;

/**
 * The data objects of `inputUri`, sorted by key: one .csv/.parquet object, or every such object under the prefix.
 * Other objects under a prefix (a _SUCCESS marker, a README) are skipped.
 */
export async function datasetKeys(s3: S3Client, inputUri: string): Promise<{ bucket: string; keys: string[] }> {
  const { bucket, key } = parseS3Uri(inputUri);
  const keys = DATA_FILE.test(key) ? [key] : (await listKeys(s3, bucket, key)).filter((k) => DATA_FILE.test(k));
  if (keys.length === 0) throw new DataValidationError(`no .csv or .parquet objects at ${inputUri}`);
  return { bucket, keys };
}

/** Hashes bytes as they pass: the object's own SHA-256 and any others (the whole dataset's). */
class PassingHash {
  readonly own = createHash('sha256');
  bytes = 0;
  constructor(private readonly also: readonly Hash[]) {}

  async *through(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of chunks) {
      this.own.update(chunk);
      for (const hash of this.also) hash.update(chunk);
      this.bytes += chunk.byteLength;
      yield chunk;
    }
  }

  source(uri: string): DatasetSource {
    return { uri, bytes: this.bytes, sha256: this.own.digest('hex') };
  }
}

/**
 * One object's rows, a chunk at a time: a CSV `chunkRows` rows at a time, a Parquet file one row group at a time, so
 * the rows held are one chunk's whatever the object's size. Each chunk names its file and its first
 * data row, for error messages. `done` receives the object's lineage record (size and SHA-256) after its last chunk;
 * `alsoHash` are fed its bytes in order (the whole dataset's hash).
 */
export async function* objectChunks(
  s3: S3Client,
  bucket: string,
  key: string,
  options: { chunkRows: number; alsoHash?: readonly Hash[]; done: (source: DatasetSource) => void },
): AsyncGenerator<RawTable> {
  const uri = s3Uri(bucket, key);
  const hashing = new PassingHash(options.alsoHash ?? []);
  if (/\.parquet$/i.test(key)) {
    yield* parquetChunks(s3, bucket, key, uri);
    // Row groups are read by range, out of byte order; the hash is one sequential pass of its own.
    for await (const chunk of hashing.through(await openObject(s3, bucket, key))) void chunk;
  } else {
    yield* csvChunks(hashing.through(await openObject(s3, bucket, key)), uri, options.chunkRows);
  }
  options.done(hashing.source(uri));
}

async function* csvChunks(bytes: AsyncIterable<Uint8Array>, source: string, chunkRows: number): AsyncGenerator<RawTable> {
  let header: readonly string[] = [];
  let rows: string[][] = [];
  let firstRow = 1;
  try {
    for await (const row of csvRows(bytes, (names) => (header = names))) {
      rows.push(row.cells);
      if (rows.length === chunkRows) {
        yield { source, header, rows, firstRow };
        firstRow += rows.length;
        rows = [];
      }
    }
  } catch (err) {
    if (err instanceof DataValidationError) throw err;
    throw new DataValidationError(`${source} is not valid CSV: ${(err as Error).message}`, { cause: err });
  }
  if (rows.length > 0) yield { source, header, rows, firstRow };
}


async function* parquetChunks(s3: S3Client, bucket: string, key: string, source: string): AsyncGenerator<RawTable> {
  const unreadable = (err: unknown) => new DataValidationError(`${source} is not a readable Parquet file: ${(err as Error).message}`, { cause: err });
  let file: AsyncBuffer;
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  let header: string[];
  try {
    file = await rangedObject(s3, bucket, key);
    metadata = await parquetMetadataAsync(file);
    header = parquetSchema(metadata).children.map((column) => column.element.name);
  } catch (err) {
    throw unreadable(err);
  }
  // One row group at a time: the unit a Parquet writer sizes for a reader's memory, and the unit hyparquet decodes.
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const groupEnd = groupStart + Number(group.num_rows);
    let records: Record<string, unknown>[];
    try {
      records = await parquetReadObjects({ file, metadata, rowStart: groupStart, rowEnd: groupEnd });
    } catch (err) {
      throw unreadable(err);
    }
    if (records.length > 0) yield { source, header, rows: records.map((record) => header.map((name) => record[name])), firstRow: groupStart + 1 };
    groupStart = groupEnd;
  }
}
