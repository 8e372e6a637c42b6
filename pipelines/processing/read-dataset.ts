import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { parseS3Uri, s3Uri } from '../../contracts/storage-layout';
import { parseCsvText } from '../common/csv';
import { getObjectBytes, listKeys } from '../common/s3';
import { DataValidationError, type RawTable } from '../common/tabular';

/** The raw dataset as read from S3: its files in key order, their tables, and the lineage hash. */
export interface RawDataset {
  tables: RawTable[];
  sources: { uri: string; bytes: number; sha256: string }[];
  /** sha256 of the concatenated raw bytes of every file, in key order. */
  sha256: string;
}

const DATA_FILE = /\.(csv|parquet)$/i;

/**
 * Reads `inputUri`: one .csv/.parquet object, or every such object under the prefix, sorted by key. Other
 * objects under a prefix (a _SUCCESS marker, a README) are skipped.
 */
export async function readDataset(s3: S3Client, inputUri: string): Promise<RawDataset> {
  const { bucket, key } = parseS3Uri(inputUri);
  const keys = DATA_FILE.test(key) ? [key] : (await listKeys(s3, bucket, key)).filter((k) => DATA_FILE.test(k));
  if (keys.length === 0) throw new DataValidationError(`no .csv or .parquet objects at ${inputUri}`);
  const whole = createHash('sha256');
  const tables: RawTable[] = [];
  const sources: RawDataset['sources'] = [];
  for (const k of keys) {
    const uri = s3Uri(bucket, k);
    const bytes = await getObjectBytes(s3, bucket, k);
    whole.update(bytes);
    sources.push({ uri, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    tables.push(/\.parquet$/i.test(k) ? await parseParquet(uri, bytes) : parseCsv(uri, bytes));
  }
  return { tables, sources, sha256: whole.digest('hex') };
}

function parseCsv(source: string, bytes: Buffer): RawTable {
  try {
    return { source, ...parseCsvText(bytes.toString('utf8')) };
  } catch (err) {
    throw new DataValidationError(`${source} is not valid CSV: ${(err as Error).message}`, { cause: err });
  }
}

async function parseParquet(source: string, bytes: Buffer): Promise<RawTable> {
  try {
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const metadata = parquetMetadata(file);
    const header = parquetSchema(metadata).children.map((column) => column.element.name);
    const records = await parquetReadObjects({ file, metadata });
    return { source, header, rows: records.map((record) => header.map((name) => record[name])) };
  } catch (err) {
    throw new DataValidationError(`${source} is not a readable Parquet file: ${(err as Error).message}`, { cause: err });
  }
}
