/**
 * Batch scoring throughput (rows/s), measured side by side with its references in one run:
 *  ours: the scoring job's real code path (lambdas/scoring/batch-scoring-job.ts: plan over the whole input, then every
 *    chunk read by byte range, parsed, scored by the live tier's ModelSession and written as its part), in one process,
 *    against s3rver and the registry in dynalite, with a fresh job (so one model load) per round;
 *  reference: a bare loop over the same rows in one process: one GetObject, split lines and cells, Number(), batches of
 *    the same size through onnxruntime-node's InferenceSession.run, output lines built by hand, one PutObject;
 *  the same two over a Parquet copy of the rows (the bare loop decoding the needed columns of the whole file at once);
 *  and the model alone: InferenceSession.run over the rows already parsed into a Float32Array (no I/O, no text).
 * Every side's output rows are checked equal to the bare CSV loop's before anything is timed.
 * Model: the committed fixture test/fixtures/models/fraud-gbt.onnx (100-tree gradient boosting, 9 features).
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parquetReadObjects } from 'hyparquet';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { scoringPartKey } from '../contracts/batch-scoring';
import type { ModelMetadata } from '../contracts/model-metadata';
import { SESSION_OPTIONS } from '../lambdas/inference/model-session';
import { DynamoRegistryStore } from '../lambdas/registry/dynamodb-store';
import { BatchScoringJob } from '../lambdas/scoring/batch-scoring-job';
import { transactions, transactionsParquet } from '../test/helpers/scoring-twin';
import { fixtureArchive, loadFixture } from '../test/lambdas/inference/fixtures';
import { startServingBackends } from '../test/lambdas/inference/registered-model';
import type { BenchResult } from './bench-result';

const MODEL = 'card-fraud';
const ROWS = 200_000;
const ROWS_PER_CHUNK = 50_000;
/** Row groups of the Parquet copy: five to a chunk. */
const ROW_GROUP_ROWS = 10_000;
/** Rows per model run: ScoreOptions.batchRows' default, on both sides. */
const BATCH_ROWS = 2048;
/** Alternating rounds per side; the rows report the median round of each side. */
const ROUNDS = 5;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export async function runScoringBench(): Promise<BenchResult[]> {
  const backends = await startServingBackends();
  try {
    const fixture = loadFixture('fraud-gbt');
    const featureNames = fixture.metadata.features.map((f) => f.name);
    const { version } = await backends.register(MODEL, fixtureArchive('fraud-gbt'));
    const { csv, values } = transactions(ROWS, featureNames);
    const { bucket, client: s3 } = backends.s3;
    await backends.s3.put(bucket, 'scoring/bench/input.csv', csv);
    await backends.s3.put(bucket, 'scoring/bench/input.parquet', transactionsParquet(csv, ROW_GROUP_ROWS));
    const registry = new DynamoRegistryStore(backends.dynamo.documentClient, backends.dynamo.tableName);
    const read = async (key: string) => (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();

    let round = 0;
    const job = (format: 'csv' | 'parquet') => async () => {
      const scoring = new BatchScoringJob({ s3, registry, artifactBucket: bucket, model: MODEL });
      const input = `s3://${bucket}/scoring/bench/input.${format}`;
      const output = `s3://${bucket}/scoring/bench/ours-${format}-${round}`;
      const plan = await scoring.plan({ input, output, version, rowIdColumn: 'txn_id', rowsPerChunk: ROWS_PER_CHUNK }, `bench-${format}-${round}`);
      const chunks = JSON.parse(await read(plan.chunksKey)) as Parameters<BatchScoringJob['scoreChunk']>[0][];
      for (const chunk of chunks) await scoring.scoreChunk(chunk);
      return chunks.length;
    };
    const bare = (format: 'csv' | 'parquet') => () =>
      (format === 'csv' ? bareCsvLoop : bareParquetLoop)({ s3, bucket, inputKey: `scoring/bench/input.${format}`, outputKey: `scoring/bench/reference-${format}-${round}.csv`, onnx: fixture.onnx, metadata: fixture.metadata, version });
    const [ours, reference, oursParquet, referenceParquet] = [job('csv'), bare('csv'), job('parquet'), bare('parquet')];
    const modelOnly = async () => {
      const session = await InferenceSession.create(fixture.onnx, SESSION_OPTIONS);
      const width = featureNames.length;
      for (let start = 0; start < ROWS; start += BATCH_ROWS) {
        const rows = Math.min(BATCH_ROWS, ROWS - start);
        await session.run({ [fixture.metadata.inputName]: new Tensor('float32', values.subarray(start * width, (start + rows) * width), [rows, width]) }, [fixture.metadata.outputName]);
      }
      await session.release();
    };

    // Before timing: each bare loop writes the rows ours writes (ids, version, label, probabilities), in order.
    const chunks = await ours();
    const parquetChunks = await oursParquet();
    await reference();
    await referenceParquet();
    const partRows = async (format: string, parts: number) =>
      (await Promise.all(Array.from({ length: parts }, (_, part) => read(scoringPartKey(`scoring/bench/ours-${format}-0`, part))))).map((text) => text.slice(text.indexOf('\n') + 1)).join('');
    const expected = await read('scoring/bench/reference-csv-0.csv');
    for (const [what, text] of [
      ['the scoring job (CSV)', await partRows('csv', chunks)],
      ['the scoring job (Parquet)', await partRows('parquet', parquetChunks)],
      ['the bare Parquet loop', await read('scoring/bench/reference-parquet-0.csv')],
    ]) {
      if (text !== expected) throw new Error(`${what} and the bare CSV loop wrote different rows`);
    }

    const sides = [ours, reference, modelOnly, oursParquet, referenceParquet];
    const times: number[][] = sides.map(() => []);
    for (round = 1; round <= ROUNDS; round++) {
      (globalThis as { gc?: () => void }).gc?.();
      // Rotate which side goes first so none always runs on a warmer cache.
      for (let k = 0; k < sides.length; k++) {
        const side = (round + k) % sides.length;
        times[side].push(await seconds(sides[side]));
      }
    }
    const [oursRate, referenceRate, modelRate, oursParquetRate, referenceParquetRate] = times.map((t) => ROWS / median(t));
    const common = `${ROWS.toLocaleString('en')} rows of ${featureNames.length} features (fraud-gbt), ${chunks} chunks of ${ROWS_PER_CHUNK.toLocaleString('en')}, batches of ${BATCH_ROWS}; median of ${ROUNDS} alternating rounds, one process, s3rver and dynalite on loopback`;
    return [
      {
        name: 'batch scoring job (plan + every chunk) vs bare CSV loop calling onnxruntime-node',
        ours: oursRate,
        reference: referenceRate,
        ratio: oursRate / referenceRate,
        unit: 'rows/s',
        note: `ratio = ours/reference rows/s (above 1: ours is faster); the bare loop reads the object once, splits lines and cells and writes one object, same rows out; ${common}`,
      },
      {
        name: 'batch scoring job vs InferenceSession.run alone on parsed rows',
        ours: oursRate,
        reference: modelRate,
        ratio: oursRate / modelRate,
        unit: 'rows/s',
        note: `the model's own ceiling (no reading, parsing or writing): ours spends ${(100 * (1 - oursRate / modelRate)).toFixed(0)}% of its time outside session.run; same rounds`,
      },
      {
        name: 'batch scoring job on Parquet vs bare Parquet loop calling onnxruntime-node',
        ours: oursParquetRate,
        reference: referenceParquetRate,
        ratio: oursParquetRate / referenceParquetRate,
        unit: 'rows/s',
        note: `the same rows in Parquet (row groups of ${ROW_GROUP_ROWS.toLocaleString('en')}, chunks of whole row groups); the bare loop reads the file in one GetObject and decodes the needed columns at once (hyparquet); same rounds`,
      },
    ];
  } finally {
    await backends.stop();
  }
}

/** Where a bare loop reads and writes, and the model it runs. */
interface BareOptions {
  s3: S3Client;
  bucket: string;
  inputKey: string;
  outputKey: string;
  onnx: Uint8Array;
  metadata: ModelMetadata;
  version: number;
}

/** The CSV reference: everything one would write by hand to score a CSV of numbers with onnxruntime-node, nothing more. */
async function bareCsvLoop(options: BareOptions): Promise<void> {
  await bareLoop(options, async function* (featureNames) {
    const text = await (await options.s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: options.inputKey }))).Body!.transformToString();
    const lines = text.split('\n');
    const header = lines[0].split(',');
    const columns = featureNames.map((name) => header.indexOf(name));
    const idColumn = header.indexOf('txn_id');
    for (let l = 1; l < lines.length; l++) {
      if (lines[l] === '') continue;
      const cells = lines[l].split(',');
      yield { id: cells[idColumn], value: (f: number) => Number(cells[columns[f]]) };
    }
  });
}

/** The Parquet reference: the whole file in one GetObject, every needed column decoded at once by hyparquet. */
async function bareParquetLoop(options: BareOptions): Promise<void> {
  await bareLoop(options, async function* (featureNames) {
    const bytes = await (await options.s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: options.inputKey }))).Body!.transformToByteArray();
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    for (const record of await parquetReadObjects({ file, columns: ['txn_id', ...featureNames] })) {
      yield { id: String(record.txn_id), value: (f: number) => Number(record[featureNames[f]]) };
    }
  });
}

/** Batches of BATCH_ROWS through InferenceSession.run, output lines built by hand, one PutObject. */
async function bareLoop(options: BareOptions, rows: (featureNames: string[]) => AsyncIterable<{ id: string; value: (feature: number) => number }>): Promise<void> {
  const { s3, bucket, version } = options;
  const { inputName, outputName } = options.metadata;
  const featureNames = options.metadata.features.map((f) => f.name);
  const session = await InferenceSession.create(options.onnx, SESSION_OPTIONS);
  const width = featureNames.length;
  const features = new Float32Array(BATCH_ROWS * width);
  const ids: string[] = [];
  let out = '';
  const flush = async () => {
    const input = new Tensor('float32', features.subarray(0, ids.length * width), [ids.length, width]);
    const probabilities = (await session.run({ [inputName]: input }, [outputName]))[outputName].data as Float32Array;
    for (let r = 0; r < ids.length; r++) {
      const [p0, p1] = [probabilities[2 * r], probabilities[2 * r + 1]];
      out += `${ids[r]},${version},${p1 > p0 ? 1 : 0},${p0},${p1}\n`;
    }
    ids.length = 0;
  };
  for await (const row of rows(featureNames)) {
    for (let f = 0; f < width; f++) features[ids.length * width + f] = row.value(f);
    ids.push(row.id);
    if (ids.length === BATCH_ROWS) await flush();
  }
  if (ids.length) await flush();
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: options.outputKey, Body: out }));
  await session.release();
}
