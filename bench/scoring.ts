/**
 * Batch scoring throughput (rows/s), measured side by side with its references in one run:
 *  ours: the scoring job's real code path (lambdas/scoring/batch-scoring-job.ts: plan over the whole input, then every
 *    chunk read by byte range, parsed, scored by the live tier's ModelSession and written as its part), in one process,
 *    against s3rver and the registry in dynalite, with a fresh job (so one model load) per round;
 *  reference: a bare loop over the same rows in one process: one GetObject, split lines and cells, Number(), batches of
 *    the same size through onnxruntime-node's InferenceSession.run, output lines built by hand, one PutObject;
 *  and the model alone: InferenceSession.run over the rows already parsed into a Float32Array (no I/O, no text).
 * The reference's output rows are checked equal to ours before anything is timed.
 * Model: the committed fixture test/fixtures/models/fraud-gbt.onnx (100-tree gradient boosting, 9 features).
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { scoringPartKey } from '../contracts/batch-scoring';
import type { ModelMetadata } from '../contracts/model-metadata';
import { SESSION_OPTIONS } from '../lambdas/inference/model-session';
import { DynamoRegistryStore } from '../lambdas/registry/dynamodb-store';
import { BatchScoringJob } from '../lambdas/scoring/batch-scoring-job';
import { transactions } from '../test/helpers/scoring-twin';
import { fixtureArchive, loadFixture } from '../test/lambdas/inference/fixtures';
import { startServingBackends } from '../test/lambdas/inference/registered-model';
import type { BenchResult } from './bench-result';

const MODEL = 'card-fraud';
const ROWS = 200_000;
const ROWS_PER_CHUNK = 50_000;
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
    const input = `s3://${bucket}/scoring/bench/input.csv`;
    const registry = new DynamoRegistryStore(backends.dynamo.documentClient, backends.dynamo.tableName);
    const read = async (key: string) => (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();

    let round = 0;
    const ours = async () => {
      const job = new BatchScoringJob({ s3, registry, artifactBucket: bucket, model: MODEL });
      const output = `s3://${bucket}/scoring/bench/ours-${round}`;
      const plan = await job.plan({ input, output, version, rowIdColumn: 'txn_id', rowsPerChunk: ROWS_PER_CHUNK }, `bench-${round}`);
      const chunks = JSON.parse(await read(plan.chunksKey)) as Parameters<BatchScoringJob['scoreChunk']>[0][];
      for (const chunk of chunks) await job.scoreChunk(chunk);
      return chunks.length;
    };
    const reference = async () => bareLoop({ s3, bucket, inputKey: 'scoring/bench/input.csv', outputKey: `scoring/bench/reference-${round}.csv`, onnx: fixture.onnx, metadata: fixture.metadata, version });
    const modelOnly = async () => {
      const session = await InferenceSession.create(fixture.onnx, SESSION_OPTIONS);
      const width = featureNames.length;
      for (let start = 0; start < ROWS; start += BATCH_ROWS) {
        const rows = Math.min(BATCH_ROWS, ROWS - start);
        await session.run({ [fixture.metadata.inputName]: new Tensor('float32', values.subarray(start * width, (start + rows) * width), [rows, width]) }, [fixture.metadata.outputName]);
      }
      await session.release();
    };

    // Before timing: the bare loop writes the rows ours writes (ids, version, label, probabilities), in order.
    const chunks = await ours();
    await reference();
    const oursRows = (await Promise.all(Array.from({ length: chunks }, (_, part) => read(scoringPartKey('scoring/bench/ours-0', part)))))
      .map((text) => text.slice(text.indexOf('\n') + 1))
      .join('');
    if (oursRows !== (await read('scoring/bench/reference-0.csv'))) throw new Error('the bare loop and the scoring job wrote different rows');

    const sides = [ours, reference, modelOnly];
    const times: number[][] = sides.map(() => []);
    for (round = 1; round <= ROUNDS; round++) {
      (globalThis as { gc?: () => void }).gc?.();
      // Rotate which side goes first so none always runs on a warmer cache.
      for (let k = 0; k < sides.length; k++) {
        const side = (round + k) % sides.length;
        times[side].push(await seconds(sides[side]));
      }
    }
    const [oursRate, referenceRate, modelRate] = times.map((t) => ROWS / median(t));
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
    ];
  } finally {
    await backends.stop();
  }
}

/** The reference: everything one would write by hand to score a CSV of numbers with onnxruntime-node, nothing more. */
async function bareLoop(options: {
  s3: S3Client;
  bucket: string;
  inputKey: string;
  outputKey: string;
  onnx: Uint8Array;
  metadata: ModelMetadata;
  version: number;
}): Promise<void> {
  const { s3, bucket, version } = options;
  const { inputName, outputName } = options.metadata;
  const featureNames = options.metadata.features.map((f) => f.name);
  const session = await InferenceSession.create(options.onnx, SESSION_OPTIONS);
  const text = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: options.inputKey }))).Body!.transformToString();
  const lines = text.split('\n');
  const header = lines[0].split(',');
  const columns = featureNames.map((name) => header.indexOf(name));
  const idColumn = header.indexOf('txn_id');
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
  for (let l = 1; l < lines.length; l++) {
    if (lines[l] === '') continue;
    const cells = lines[l].split(',');
    for (let f = 0; f < width; f++) features[ids.length * width + f] = Number(cells[columns[f]]);
    ids.push(cells[idColumn]);
    if (ids.length === BATCH_ROWS) await flush();
  }
  if (ids.length) await flush();
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: options.outputKey, Body: out }));
  await session.release();
}
