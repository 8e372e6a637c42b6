/**
 * The drift run over 1M and 5M captured rows in a local S3 (s3rver, the registry in dynalite), each step of the drift
 * state machine a process of its own running its Lambda handler (bench/drift-step.ts):
 *  ours: the fan-out: the job plans chunks of 16 MiB of capture objects, one worker process per chunk summarizes it
 *    (two at a time, the machine's cores), the decide process merges and judges;
 *  reference: the single-function path on the same objects: the job alone with one chunk (the same code), which holds
 *    the whole window's values.
 * Every step has the deployed memory size (2048 MB), under which a function holds the whole window of these runs.
 * Rows/s are rows of the window over the wall time of the run (process starts included). Peak RSS: the largest worker
 * against the single function's; the workers' peak is bounded by their chunk, so it must not grow from 1M to 5M rows.
 * One more row runs the single function at 512 MB, which holds at most what its memory leaves beside the baseline's
 * references in feature values (lambdas/drift/drift-memory.ts): its peak is bounded by its memory size, whatever the window.
 * Before any figure is printed, the fan-out's and the 512 MB function's reports are checked equal to the single
 * function's, feature by feature.
 */
import { gzipSync } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { CaptureRecord } from '../contracts/capture-record';
import { computeBaseline } from '../lambdas/drift/baseline';
import { writeBaseline } from '../lambdas/drift/baseline-objects';
import { numericReferenceFromValues } from '../lambdas/drift/compare';
import { heldValuesFor } from '../lambdas/drift/drift-memory';
import { categoryCounts } from '../lambdas/drift/statistics/categorical';
import { summaryReferences } from '../lambdas/drift/window-summary';
import type { stepResult } from '../lambdas/drift/step-result';
import { DynamoRegistryStore } from '../lambdas/registry/dynamodb-store';
import { ModelRegistry } from '../lambdas/registry/registry';
import { Random } from '../pipelines/common/random';
import { lambdaEnvFor, startDynalite } from '../test/helpers/dynalite';
import { startS3rver } from '../test/helpers/s3rver';
import type { BenchResult } from './bench-result';
import { runWithPeakRss } from './peak-rss';
import { STEP_RESULT_MARKER } from './drift-step';

const MODEL = 'card-fraud';
const FEATURES = [
  { name: 'amount', type: 'numeric' },
  { name: 'hour', type: 'numeric' },
  { name: 'balance', type: 'numeric' },
  { name: 'channel', type: 'categorical' },
] as const;
const ROWS_PER_OBJECT = 50_000;
const BYTES_PER_CHUNK = 16 * 1024 * 1024;
const WORKERS_AT_ONCE = 2;
/** The drift functions' memory as deployed (DriftMonitorProps.memorySize's default), and the least a team may set. */
const DEPLOYED_MEMORY_MIB = 2048;
const SMALL_MEMORY_MIB = 512;
interface StepRun {
  result: ReturnType<typeof stepResult>;
  peakRss: number;
}

async function step(env: Record<string, string>, name: string, event: unknown): Promise<StepRun> {
  const { reported, peakRss } = await runWithPeakRss<StepRun['result']>('bench/drift-step.ts', [name, JSON.stringify(event)], env, STEP_RESULT_MARKER, `drift step ${name}`);
  return { result: reported, peakRss };
}

/** Captured rows of the live version, shifted (drifted) in every other object, in gzip'd objects of the last hour. */
async function putCapture(put: (key: string, body: Uint8Array) => Promise<void>, rows: number, seed: number): Promise<void> {
  const random = new Random(seed);
  const at = new Date(Date.now() - 30 * 60_000);
  const p = (n: number) => String(n).padStart(2, '0');
  const hour = `capture/${MODEL}/${at.getUTCFullYear()}/${p(at.getUTCMonth() + 1)}/${p(at.getUTCDate())}/${p(at.getUTCHours())}/`;
  for (let o = 0; o * ROWS_PER_OBJECT < rows; o++) {
    const shift = o % 2 === 0 ? 0.3 : 0;
    let body = '';
    for (let i = 0; i < ROWS_PER_OBJECT; i++) {
      const record: CaptureRecord = {
        model: MODEL,
        modelVersion: 1,
        at: at.toISOString(),
        requestId: `r-${seed}-${o}-${i}`,
        features: [Math.exp(3 + random.normal() * 0.5 + shift), Math.floor(random.uniform() * 24), 1000 + 200 * random.normal(), random.uniform() < 0.7 ? 0 : 1],
        prediction: random.uniform(),
      };
      body += `${JSON.stringify(record)}\n`;
    }
    await put(`${hour}seed-${seed}/part-${String(o).padStart(5, '0')}.gz`, gzipSync(body, { level: 1 }));
  }
}

async function seconds<T>(fn: () => Promise<T>): Promise<{ s: number; result: T }> {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { s: Number(process.hrtime.bigint() - start) / 1e9, result };
}

/** Runs `tasks` at most `limit` at once. */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    for (let i = next++; i < tasks.length; i = next++) results[i] = await tasks[i]();
  }));
  return results;
}

export async function runDriftRunBench(): Promise<BenchResult[]> {
  const s3 = await startS3rver();
  const dynamo = await startDynalite();
  const results: BenchResult[] = [];
  try {
    const training = new Random(1);
    const trainingRows = Array.from({ length: 200_000 }, () => [Math.exp(3 + training.normal() * 0.5), Math.floor(training.uniform() * 24), 1000 + 200 * training.normal(), training.uniform() < 0.7 ? 0 : 1]);
    const columns = FEATURES.map((f, c) => ({ ...f, values: trainingRows.map((row) => row[c]) }));
    await writeBaseline((key, body) => s3.put(s3.bucket, key, body), 'runs/run-1/processed/baseline.json', computeBaseline(columns));
    // What the functions' bound on held values is computed from (the baseline keeps every training value here).
    const references = summaryReferences(
      columns.map((c) => (c.type === 'numeric' ? numericReferenceFromValues(c.name, c.values) : { type: c.type, name: c.name, counts: categoryCounts(c.values) })),
    );
    const held = (memoryMiB: number) => heldValuesFor(memoryMiB, references);
    const registry = new ModelRegistry(new DynamoRegistryStore(dynamo.documentClient, dynamo.tableName));
    const decision = { actor: 'bench', reason: 'bench' };
    await registry.register(
      { model: MODEL, artifactUri: `s3://${s3.bucket}/runs/run-1/model.tar.gz`, artifactSha256: 'a'.repeat(64), metrics: { holdout: { auc: 0.9 } }, baselineUri: `s3://${s3.bucket}/runs/run-1/processed/baseline.json` },
      'bench',
    );
    await registry.approve(MODEL, 1, decision);
    await registry.beginDeployment(MODEL, 1, decision, 'bench');
    await registry.finalizeDeployment(MODEL, 1, decision);

    const baseConfig = { windowHours: 2, minSamples: 200, driftedFeatureShare: 0.3, features: FEATURES, task: 'binary-classification' };
    const env = (bytesPerChunk: number, memoryMiB = DEPLOYED_MEMORY_MIB) => ({
      ...lambdaEnvFor(dynamo),
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMiB),
      ...s3.env,
      ARTIFACT_BUCKET: s3.bucket,
      MODEL_NAME: MODEL,
      METRICS_NAMESPACE: 'MLOps/bench',
      POWERTOOLS_LOG_LEVEL: 'WARN',
      DRIFT_CONFIG: JSON.stringify({ ...baseConfig, bytesPerChunk }),
    });
    /** The report a run stored (the steps hand the state machine only the verdict and its URI). */
    const storedReport = async (result: StepRun['result']) => {
      if (result.status !== 'evaluated') throw new Error(`a drift run ended ${result.status}`);
      const object = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: result.reportUri.replace(`s3://${s3.bucket}/`, '') }));
      return JSON.parse(await object.Body!.transformToString()) as { sampleCount: number; driftedFeatures: number; features: unknown[] };
    };
    let written = 0;
    for (const [label, rows] of [['1M', 1_000_000], ['5M', 5_000_000]] as const) {
      // Each window adds its rows beside the last one's: the 5M run reads 5M rows (1M + 4M more).
      await putCapture((key, body) => s3.put(s3.bucket, key, body), rows - written, rows);
      written = rows;
      const fanOut = await seconds(async () => {
        const plan = await step(env(BYTES_PER_CHUNK), 'job', { execution: `fan-out-${label}` });
        if (plan.result.status !== 'fan-out') throw new Error(`the ${label} window did not fan out: ${plan.result.status}`);
        const object = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: plan.result.plan.chunksKey }));
        const chunks = JSON.parse(await object.Body!.transformToString()) as unknown[];
        const workers = await pool(chunks.map((chunk) => () => step(env(BYTES_PER_CHUNK), 'summarize-chunk', { chunk })), WORKERS_AT_ONCE);
        const decided = await step(env(BYTES_PER_CHUNK), 'decide', { plan: plan.result.plan });
        return { decided, chunks: chunks.length, workerPeak: Math.max(...workers.map((w) => w.peakRss)) };
      });
      const single = await seconds(() => step(env(2 ** 40), 'job', { execution: `single-${label}` }));
      const small = await step(env(2 ** 40, SMALL_MEMORY_MIB), 'job', { execution: `single-small-${label}` });
      const ours = await storedReport(fanOut.result.decided.result);
      const reference = await storedReport(single.result.result);
      for (const [run, report] of [['fan-out', ours], [`single function of ${SMALL_MEMORY_MIB} MB`, await storedReport(small.result)]] as const) {
        if (report.sampleCount !== rows || JSON.stringify(report.features) !== JSON.stringify(reference.features)) {
          throw new Error(`the ${run}'s verdict over ${label} rows differs from the single function's`);
        }
      }
      const mib = (bytes: number) => bytes / 2 ** 20;
      results.push({
        name: `drift run ${label} captured rows, ${fanOut.result.chunks} chunks (rows/s)`,
        ours: rows / fanOut.s,
        reference: rows / single.s,
        ratio: single.s / fanOut.s,
        unit: 'rows/s',
        note: `reference: the single function on the same objects; ${WORKERS_AT_ONCE} workers at once, process starts included; same report (${ours.driftedFeatures} of ${ours.features.length} features drifted)`,
      });
      results.push({
        name: `drift run ${label} captured rows, peak RSS (MiB)`,
        ours: mib(fanOut.result.workerPeak),
        reference: mib(single.result.peakRss),
        ratio: single.result.peakRss / fanOut.result.workerPeak,
        unit: 'MiB',
        note: `ours: the largest chunk worker (${BYTES_PER_CHUNK / 2 ** 20} MiB of gzip'd capture per chunk); reference: the single function; decide step ${mib(fanOut.result.decided.peakRss).toFixed(0)} MiB`,
      });
      results.push({
        name: `drift run ${label} captured rows, the single function of ${SMALL_MEMORY_MIB} MB, peak RSS (MiB)`,
        ours: mib(small.peakRss),
        reference: mib(single.result.peakRss),
        ratio: single.result.peakRss / small.peakRss,
        unit: 'MiB',
        note: `one chunk of the whole window; it holds at most ${held(SMALL_MEMORY_MIB).toLocaleString('en')} feature values beside the baseline's references (lambdas/drift/drift-memory.ts), ${FEATURES.filter((f) => f.type === 'numeric').length * rows > held(SMALL_MEMORY_MIB) ? 'counting them into the bins each time it is reached' : 'more than the window has'}; reference: the same function at ${DEPLOYED_MEMORY_MIB} MB (${held(DEPLOYED_MEMORY_MIB).toLocaleString('en')} values); same report`,
      });
    }
  } finally {
    await s3.stop();
    await dynamo.stop();
  }
  return results;
}
