/**
 * The processing job on a dataset of many objects, as one job and as 4 shards plus the merge, in one run:
 *  ours: 4 shard processes at once (the Batch array job's children, PROCESSING_STEP=shard), then the merge process;
 *  reference: one processing process over the whole dataset (PROCESSING_STEP unset, today's default).
 * Each side is the container's entry (pipelines/processing/main.ts) as separate Node processes against s3rver, so the
 * times include each process's start. Before any figure is printed, every output object of the two (the splits,
 * baseline.json with its sorted-values objects, dataset.json but for the run's folder in its URIs) is checked byte
 * for byte; the bench fails if one differs. Peak RSS: of the one job, and of the largest shard.
 */
import { availableParallelism } from 'node:os';
import { TRAINING_PIPELINE_SPEC } from '../contracts/training-pipeline-spec';
import { getObjectBytes, listKeys } from '../pipelines/common/s3';
import { datasetToCsv, generateTransactions } from '../pipelines/datasets/card-fraud';
import { startS3rver, type LocalS3 } from '../test/helpers/s3rver';
import type { BenchResult } from './bench-result';
import { runWithPeakRss } from './peak-rss';

const OBJECTS = 8;
const ROWS_PER_OBJECT = 50_000;
const SHARDS = 4;

/** Runs the processing entry with `env`; resolves to its peak RSS in bytes, rejects with its stderr if it fails. */
async function processingProcess(s3: LocalS3, env: Record<string, string>): Promise<number> {
  const run = await runWithPeakRss('pipelines/processing/main.ts', [], { ...s3.env, TEAM_CONFIG_FILE: 'pipelines/teams/fraud.json', SPLIT_SEED: '42', ...env }, undefined, `processing (${JSON.stringify(env)})`);
  return run.peakRss;
}

async function seconds<T>(fn: () => Promise<T>): Promise<{ s: number; result: T }> {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { s: Number(process.hrtime.bigint() - start) / 1e9, result };
}

/** A run's output objects (not the shards' intermediate ones) by path under its folder, the folder's name masked. */
async function outputs(s3: LocalS3, run: string): Promise<Map<string, string>> {
  const prefix = `runs/${run}/processed/`;
  const keys = (await listKeys(s3.client, s3.bucket, prefix)).filter((key) => !key.startsWith(`${prefix}shards/`));
  const out = new Map<string, string>();
  for (const key of keys) {
    const bytes = await getObjectBytes(s3.client, s3.bucket, key);
    out.set(key.slice(prefix.length), key.endsWith('.f64') ? bytes.toString('base64') : bytes.toString('utf8').replaceAll(prefix, 'runs/<run>/processed/'));
  }
  return out;
}

export async function runProcessingBench(): Promise<BenchResult[]> {
  const s3 = await startS3rver();
  try {
    for (let i = 0; i < OBJECTS; i++) {
      await s3.put(s3.bucket, `datasets/many/part-${i}.csv`, datasetToCsv(generateTransactions({ rows: ROWS_PER_OBJECT, seed: 100 + i })));
    }
    const run = (name: string) => ({ INPUT_URI: `s3://${s3.bucket}/datasets/many/`, OUTPUT_URI: `s3://${s3.bucket}/runs/${name}/processed/` });

    const oneJob = await seconds(() => processingProcess(s3, run('one-job')));
    const shards = await seconds(() =>
      Promise.all(
        Array.from({ length: SHARDS }, (_, index) =>
          processingProcess(s3, { ...run('sharded'), PROCESSING_STEP: 'shard', PROCESSING_SHARDS: String(SHARDS), AWS_BATCH_JOB_ARRAY_INDEX: String(index) }),
        ),
      ),
    );
    const merge = await seconds(() => processingProcess(s3, { ...run('sharded'), PROCESSING_STEP: 'merge', PROCESSING_SHARDS: String(SHARDS) }));
    const sharded = { s: shards.s + merge.s, result: { shardPeak: Math.max(...shards.result), mergePeak: merge.result } };

    const expected = await outputs(s3, 'one-job');
    const actual = await outputs(s3, 'sharded');
    const differing = [...new Set([...expected.keys(), ...actual.keys()])].filter((path) => expected.get(path) !== actual.get(path));
    if (differing.length > 0 || expected.size === 0) throw new Error(`sharded outputs differ from the one job's: ${differing.join(', ') || 'no outputs'}`);

    const rows = OBJECTS * ROWS_PER_OBJECT;
    const identical = `${expected.size} output objects byte-identical`;
    const cores = `${availableParallelism()} cores`;
    const mib = (bytes: number) => bytes / 2 ** 20;
    return [
      {
        name: `processing ${rows.toLocaleString('en')} rows in ${OBJECTS} objects: ${SHARDS} shards + merge vs one job`,
        ours: sharded.s,
        reference: oneJob.s,
        ratio: oneJob.s / sharded.s,
        unit: 's wall',
        note: `${identical}; shards ${shards.s.toFixed(1)} s (${SHARDS} processes at once on ${cores}), merge ${merge.s.toFixed(1)} s; each side includes its processes' start`,
      },
      {
        name: `processing peak RSS: largest of ${SHARDS} shards vs one job`,
        ours: mib(sharded.result.shardPeak),
        reference: mib(oneJob.result),
        ratio: oneJob.result / sharded.result.shardPeak,
        unit: 'MiB',
        note: `merge ${mib(sharded.result.mergePeak).toFixed(0)} MiB (it holds the baseline's train sample: every train row up to ${TRAINING_PIPELINE_SPEC.processing.baselineSampleRows.toLocaleString('en-US')}, 8 bytes a value)`,
      },
    ];
  } finally {
    await s3.stop();
  }
}
