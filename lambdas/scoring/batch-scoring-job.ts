import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type ScoringChunk, scoringChunksKey, scoringPartKey, type ScoringRequest } from '../../contracts/batch-scoring';
import { parseS3Uri, s3Uri } from '../../contracts/storage-layout';
import { csvRows } from '../../pipelines/common/csv-stream';
import { s3ArtifactReader } from '../../pipelines/common/s3';
import { openObjectByUri } from '../../pipelines/common/s3-stream';
import { ModelSession } from '../inference/model-session';
import { loadVerifiedModel, type VersionLookup } from '../inference/model-store';
import { planCsvStream } from './csv-chunks';
import { openParquet, parquetChunkRows, planParquetChunks } from './parquet-chunks';
import type { ScoredPart, ScoringPlan } from './schemas';
import { type DataRow, scoredHeader, scoreRows, ScoringInputError } from './score-rows';

/** The registry reads of a scoring run (the registry's store, read only): the model's live version, a version's artifact. */
export interface ScoringRegistry extends VersionLookup {
  getModel(model: string): Promise<{ record: { liveVersion?: number } } | undefined>;
}

export interface BatchScoringDeps {
  readonly s3: S3Client;
  readonly registry: ScoringRegistry;
  /** The artifact store's bucket, where the plan step leaves the chunk list for the Distributed Map. */
  readonly artifactBucket: string;
  /** The team's model; a run scores with one of its versions. */
  readonly model: string;
}

const DEFAULT_ROWS_PER_CHUNK = 50_000;

/**
 * The first two steps of a batch scoring run (the BatchScoring construct's state machine): plan splits the input into
 * chunks of whole rows (byte ranges of a CSV, row groups of a Parquet file, parquet-chunks.ts), and one Distributed Map child scores each chunk with the version's model (the live tier's
 * ModelSession, see score-rows.ts) into its own part file. The last step, the manifest, is scoring-manifest.ts.
 */
export class BatchScoringJob {
  /** One session per version per container: a warm worker scores its next chunk without reloading the model. */
  private readonly sessions = new Map<number, Promise<ModelSession>>();

  constructor(private readonly deps: BatchScoringDeps) {}

  async plan(request: ScoringRequest, execution: string): Promise<ScoringPlan> {
    const version = request.version ?? (await this.liveVersion());
    // Refused here, before any chunk runs: a version that does not exist or was never approved (the serving rule).
    await this.session(version);
    const rowsPerChunk = request.rowsPerChunk ?? DEFAULT_ROWS_PER_CHUNK;
    const common = (part: number) => ({
      input: request.input,
      output: request.output,
      part,
      version,
      ...(request.rowIdColumn !== undefined && { rowIdColumn: request.rowIdColumn }),
    });
    let chunks: ScoringChunk[];
    let rows: number;
    if (isParquet(request.input)) {
      const plan = planParquetChunks((await openParquet(this.deps.s3, request.input)).metadata, rowsPerChunk);
      chunks = plan.chunks.map((chunk, part) => ({ ...common(part), format: 'parquet', ...chunk }));
      rows = plan.rows;
    } else {
      const plan = await planCsvStream(await openObjectByUri(this.deps.s3, request.input), rowsPerChunk);
      chunks = plan.chunks.map((chunk, part) => ({ ...common(part), format: 'csv', headerEnd: plan.headerEnd, ...chunk }));
      rows = plan.rows;
    }
    if (rows === 0) throw new ScoringInputError(`${request.input} has no data rows`);
    const chunksKey = scoringChunksKey(this.deps.model, execution);
    await this.put(this.deps.artifactBucket, chunksKey, JSON.stringify(chunks), 'application/json');
    return { chunksBucket: this.deps.artifactBucket, chunksKey, chunks: chunks.length, rows, version };
  }

  async scoreChunk(chunk: ScoringChunk): Promise<ScoredPart> {
    const session = await this.session(chunk.version);
    const { header, rows } =
      chunk.format === 'parquet'
        ? parquetChunkRows(await openParquet(this.deps.s3, chunk.input), chunk, [...session.featureNames, ...(chunk.rowIdColumn === undefined ? [] : [chunk.rowIdColumn])])
        : await this.csvChunkRows(chunk);
    let text = `${scoredHeader(session)}\n`;
    let scored = 0;
    for await (const lines of scoreRows(session, header, rows, { modelVersion: chunk.version, rowIdColumn: chunk.rowIdColumn })) {
      text += lines;
      scored += countLines(lines);
    }
    if (scored !== chunk.rows) throw new ScoringInputError(`part ${chunk.part} of ${chunk.input}: scored ${scored} rows, the plan counted ${chunk.rows}`);
    const output = parseS3Uri(chunk.output);
    const partKey = scoringPartKey(output.key, chunk.part);
    await this.put(output.bucket, partKey, text, 'text/csv');
    return { part: chunk.part, uri: s3Uri(output.bucket, partKey), rows: scored, firstRow: chunk.firstRow };
  }

  /** A CSV chunk's rows: its byte range parsed after the header's bytes, so it parses alone. */
  private async csvChunkRows(chunk: Extract<ScoringChunk, { format: 'csv' }>): Promise<{ header: string[]; rows: AsyncGenerator<DataRow> }> {
    const { bucket, key } = parseS3Uri(chunk.input);
    const [header, body] = await Promise.all([this.range(bucket, key, 0, chunk.headerEnd), this.range(bucket, key, chunk.start, chunk.end)]);
    let names: string[] = [];
    const parsed = csvRows(Readable.from([header, body]), (found) => (names = found))[Symbol.asyncIterator]();
    // The first pull reads the header too, so the names are known before scoring starts.
    const first = await parsed.next();
    const rows = async function* (): AsyncGenerator<DataRow> {
      for (let next = first; !next.done; next = await parsed.next()) yield { index: chunk.firstRow + next.value.row - 1, cells: next.value.cells };
    };
    return { header: names, rows: rows() };
  }

  private async liveVersion(): Promise<number> {
    const record = await this.deps.registry.getModel(this.deps.model);
    const live = record?.record.liveVersion;
    if (live === undefined) throw new ScoringInputError(`${this.deps.model} has no live version; name one with --version`);
    return live;
  }

  private session(version: number): Promise<ModelSession> {
    let session = this.sessions.get(version);
    if (!session) {
      session = loadVerifiedModel({ registry: this.deps.registry, artifacts: s3ArtifactReader(this.deps.s3) }, this.deps.model, version).then((model) => ModelSession.create(model));
      // A failed load is not kept: the next chunk tries again.
      session.catch(() => this.sessions.delete(version));
      this.sessions.set(version, session);
    }
    return session;
  }

  private async range(bucket: string, key: string, start: number, end: number): Promise<Buffer> {
    if (end <= start) return Buffer.alloc(0);
    const object = await this.deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end - 1}` }));
    return Buffer.from(await object.Body!.transformToByteArray());
  }

  private async put(bucket: string, key: string, body: string, contentType: string): Promise<void> {
    await this.deps.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
  }
}

/** A Parquet input is named so (as the processing job tells its data files apart). */
const isParquet = (uri: string) => /\.parquet$/i.test(uri);

function countLines(text: string): number {
  let lines = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}
