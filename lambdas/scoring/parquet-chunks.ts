import type { S3Client } from '@aws-sdk/client-s3';
import { type AsyncBuffer, type FileMetaData, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { parseS3Uri } from '../../contracts/storage-layout';
import { rangedObject } from '../../pipelines/common/s3-stream';
import type { DataRow } from './score-rows';
import { ScoringInputError } from './score-rows';

/**
 * Batch scoring of a Parquet file: chunks of whole row groups (the unit a Parquet writer sizes for a reader's memory,
 * and the unit hyparquet decodes), planned from the footer alone, and each chunk's rows read one row group at a time
 * by ranged GETs of the columns the model needs. A chunk's rows are the same DataRows a CSV of the same rows gives
 * (score-rows.ts turns a cell into a number as the trainer does: numbers, bigints, booleans as 1/0, numeric text).
 */

/** Rows [firstRow, firstRow + rows) of the file, whole row groups. */
export interface ParquetChunk {
  readonly firstRow: number;
  readonly rows: number;
}

export interface ParquetFile {
  readonly file: AsyncBuffer;
  readonly metadata: FileMetaData;
  /** The top-level column names, in schema order. */
  readonly columns: readonly string[];
}

/** Opens `uri` (footer only); a file hyparquet cannot read fails as a ScoringInputError naming it. */
export async function openParquet(s3: S3Client, uri: string): Promise<ParquetFile> {
  try {
    const { bucket, key } = parseS3Uri(uri);
    const file = await rangedObject(s3, bucket, key);
    const metadata = await parquetMetadataAsync(file);
    return { file, metadata, columns: parquetSchema(metadata).children.map((column) => column.element.name) };
  } catch (err) {
    throw new ScoringInputError(`${uri} is not a readable Parquet file: ${(err as Error).message}`, { cause: err });
  }
}

/** Consecutive row groups, each chunk closed once it holds `rowsPerChunk` rows or more (a row group is never split). */
export function planParquetChunks(metadata: FileMetaData, rowsPerChunk: number): { chunks: ParquetChunk[]; rows: number } {
  const chunks: ParquetChunk[] = [];
  let rows = 0;
  let chunkRows = 0;
  for (const group of metadata.row_groups) {
    const groupRows = Number(group.num_rows);
    rows += groupRows;
    chunkRows += groupRows;
    if (chunkRows >= rowsPerChunk) {
      chunks.push({ firstRow: rows - chunkRows, rows: chunkRows });
      chunkRows = 0;
    }
  }
  if (chunkRows > 0) chunks.push({ firstRow: rows - chunkRows, rows: chunkRows });
  return { chunks, rows };
}

/**
 * The chunk's rows, one row group read at a time, with the header they follow: the file's columns among `wanted`
 * (the model's features and the row-id column), so a missing one is reported by scoreRows as for a CSV.
 */
export function parquetChunkRows(parquet: ParquetFile, chunk: ParquetChunk, wanted: readonly string[]): { header: string[]; rows: AsyncGenerator<DataRow> } {
  const header = parquet.columns.filter((name) => wanted.includes(name));
  const end = chunk.firstRow + chunk.rows;
  const rows = async function* (): AsyncGenerator<DataRow> {
    let groupStart = 0;
    for (const group of parquet.metadata.row_groups) {
      const groupEnd = groupStart + Number(group.num_rows);
      if (groupEnd > chunk.firstRow && groupStart < end) {
        const records = await parquetReadObjects({ file: parquet.file, metadata: parquet.metadata, columns: header, rowStart: groupStart, rowEnd: groupEnd });
        for (let r = 0; r < records.length; r++) yield { index: groupStart + r, cells: header.map((name) => records[r][name]) };
      }
      groupStart = groupEnd;
    }
  };
  return { header, rows: rows() };
}

