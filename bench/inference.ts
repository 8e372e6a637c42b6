/**
 * Inference benchmarks, each measured side by side with its reference in one run:
 *  (a) the Lambda handler as deployed (its esbuild bundle; function URL event in, response out: event check, size
 *      check, parse and validation, model run, response encoding, metrics) vs a bare `session.run` on the same model
 *      and rows, batch 1/16/256,
 *      and vs the handler one would write by hand (JSON.parse, session.run, JSON.stringify; `minimalPredict`);
 *  (b) HTTP throughput of the inference server (server.ts) vs a minimal node:http server around a session of the
 *      same model, driven by a loopback keep-alive load generator in a worker thread.
 * Models, each reported: the example team's model as the project's trainer makes it (pipelines/teams/fraud.json's
 * algorithm and hyperparameters on the example data, pipelines/datasets/card-fraud.ts), and the committed fixture
 * test/fixtures/models/fraud-gbt.onnx (100-tree gradient boosting, 9 features, scikit-learn made).
 */
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { InferenceService, type InferenceResponse } from '../lambdas/inference/inference-service';
import { SESSION_OPTIONS } from '../lambdas/inference/model-session';
import { createInferenceServer } from '../lambdas/inference/server';
import { InferenceMetrics } from '../lambdas/inference/telemetry';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { ModelMetadata } from '../contracts/model-metadata';
import { packModelArchive } from '../pipelines/common/model-archive';
import { rowOf } from '../pipelines/common/tabular';
import { fixtureArchive, loadFixture } from '../test/lambdas/inference/fixtures';
import { trainFraudModel } from '../test/lambdas/inference/trained-fraud-model';
import { startServingBackends } from '../test/lambdas/inference/registered-model';
import type { BenchResult } from './bench-result';

/** A model under benchmark: its files, its archive as registered, and rows to send it. */
interface BenchModel {
  name: string;
  onnx: Uint8Array;
  metadata: ModelMetadata;
  archive: Uint8Array;
  rows: number[][];
}

async function benchModels(): Promise<BenchModel[]> {
  const trained = trainFraudModel();
  const fixture = loadFixture('fraud-gbt');
  return [
    {
      name: 'trainer fraud model',
      onnx: trained.onnx,
      metadata: trained.metadata,
      archive: await packModelArchive(trained.onnx, trained.metadata),
      rows: Array.from({ length: Math.min(trained.holdout.rowCount, 256) }, (_, r) => rowOf(trained.holdout, r)),
    },
    { name: 'fixture fraud-gbt', onnx: fixture.onnx, metadata: fixture.metadata, archive: fixtureArchive('fraud-gbt'), rows: fixture.expected.rows },
  ];
}

const BATCH_SIZES = [1, 16, 256];
/**
 * Rounds per pass. The machines share their hosts, and their speed drifts by up to half over seconds; short
 * rounds, each running every side back to back, and the median of the per-round ratios keep most of that drift out
 * of the comparison (both sides of a ratio ran within a few milliseconds of each other).
 */
const ROUNDS = 41;
/** Passes per comparison, each with its own warm-up and rounds. */
const PASSES = 3;
/** Calls per round and side; fewer for big batches so each round takes similar time. */
const callsPerRound = (batch: number) => Math.max(10, Math.round(1000 / Math.sqrt(batch)));

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Rows of the model's sample, repeated to `batch` rows. */
function batchRows(model: BenchModel, batch: number): number[][] {
  return Array.from({ length: batch }, (_, i) => model.rows[i % model.rows.length]);
}

/** Runs `fn` while stdout writes are dropped (the handler's EMF lines would otherwise interleave with the table). */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
  }
}

async function timePerCall(calls: number, fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await fn();
  return Number(process.hrtime.bigint() - start) / 1000 / calls;
}

/** Bundles built in this run, by entry; each model loads a fresh copy of the handler's. */
const bundles = new Map<string, string>();

/**
 * The inference function's code as deployed: the entry bundled by MlopsFunction's own esbuild build, with
 * onnxruntime-node external (the layer's copy in AWS, the project's node_modules here; the bundle sits under
 * node_modules/.cache so that it resolves). Bundled in a child process: esbuild's service process would otherwise
 * stay beside the benchmark, and its background work perturbs the timings.
 */
export function bundleHandler(): string {
  return bundleEntry('lambdas/inference/handler.ts', 'inference');
}

/** Any entry (relative to the repository root) bundled as bundleHandler bundles the handler, into `<name>/index.mjs`. */
export function bundleEntry(entry: string, name: string): string {
  const built = bundles.get(entry);
  if (built) return built;
  const root = join(__dirname, '..');
  const dir = join(root, 'node_modules', '.cache', 'mlops-bench', name);
  // The last run's chunks would stay beside this run's: their names carry their content's hash.
  rmSync(dir, { recursive: true, force: true });
  const build = `const { bundleFunction } = require('./lib/private/mlops-function');
    const { ONNXRUNTIME_MODULE } = require('./lib/private/onnxruntime-layer');
    bundleFunction(${JSON.stringify(entry)}, ${JSON.stringify(dir)}, [ONNXRUNTIME_MODULE]);`;
  execFileSync(process.execPath, ['--require', 'tsx/cjs', '--eval', build], { cwd: root, stdio: 'inherit' });
  const bundle = join(dir, 'index.mjs');
  bundles.set(entry, bundle);
  return bundle;
}

/** The inference function's environment in the benches: the registered version, no capture, no log output. */
export function benchFunctionEnvironment(registered: { version: number; artifactUri: string }): Record<string, string> {
  return {
    MODEL_NAME: 'card-fraud',
    // As the deployment flow publishes a function version (lambdas/deployment/inference-function.ts).
    MODEL_VERSION: String(registered.version),
    MODEL_ARTIFACT_URI: registered.artifactUri,
    CAPTURE_SAMPLE_PERCENT: '0',
    METRICS_NAMESPACE: 'MLOps/bench',
    POWERTOOLS_SERVICE_NAME: 'inference',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  };
}

async function handlerOverhead(model: BenchModel): Promise<BenchResult[]> {
  const backends = await startServingBackends();
  const saved = { ...process.env };
  try {
    Object.assign(process.env, backends.env, benchFunctionEnvironment(await backends.register('card-fraud', model.archive)));
    // A fresh copy of the deployed bundle per model, as a new container would load it.
    // A query string makes the module loader evaluate the entry again (its chunks are shared: they hold no state).
    const { handler } = (await import(`${pathToFileURL(bundleHandler()).href}?model=${encodeURIComponent(model.name)}`)) as {
      handler: (event: unknown) => Promise<InferenceResponse>;
    };
    const bare = await InferenceSession.create(model.onnx, SESSION_OPTIONS);
    const { inputName, outputName } = model.metadata;
    const width = model.metadata.features.length;
    const results: BenchResult[] = [];
    for (const batch of BATCH_SIZES) {
      const rows = batchRows(model, batch);
      const event = {
        version: '2.0',
        rawPath: '/invocations',
        headers: { 'content-type': 'application/json' },
        // A function URL's request id is a UUID, which each response's predictionIds repeat.
        requestContext: { requestId: randomUUID(), timeEpoch: Date.now(), http: { method: 'POST', path: '/invocations' } },
        body: JSON.stringify({ instances: rows }),
        isBase64Encoded: false,
      };
      const features = Float32Array.from(rows.flat());
      const runBare = () => bare.run({ [inputName]: new Tensor('float32', features, [batch, width]) }, [outputName]);
      const runHandler = () => handler(event);
      const runMinimal = () => minimalPredict(bare, inputName, outputName, width, event.body);
      const calls = callsPerRound(batch);
      const sides = [runHandler, runBare, runMinimal];
      const measurePass = async (): Promise<number[][]> => {
        const times: number[][] = sides.map(() => []);
        // A full collection first (npm run bench exposes gc), so garbage of earlier work, such as training the model,
        // is not collected during the pass.
        (globalThis as { gc?: () => void }).gc?.();
        // Warm-up: about a second per side, so JIT tiers and caches settle.
        for (const side of sides) for (const end = Date.now() + 1000; Date.now() < end; ) await timePerCall(calls, side);
        for (let round = 0; round < ROUNDS; round++) {
          // The function URL stamps each event with its arrival time (the handler times its flushes on it); here
          // once per round, outside the timed calls like the check of the handler's answer.
          event.requestContext.timeEpoch = Date.now();
          const check = await handler(event);
          if (check.statusCode !== 200) throw new Error(`handler answered ${check.statusCode}: ${check.body}`);
          // Rotate which side goes first so none always runs on a warmer cache.
          for (let k = 0; k < sides.length; k++) {
            const side = (round + k) % sides.length;
            times[side].push(await timePerCall(calls, sides[side]));
          }
        }
        return times;
      };
      // Per-round ratios of a pass, reference time over ours (above 1: ours is faster).
      const pairedRatio = (times: number[][], side: number) => median(times[side].map((t, round) => t / times[0][round]));
      const passes: number[][][] = [];
      await quietly(async () => {
        for (let pass = 0; pass < PASSES; pass++) passes.push(await measurePass());
      });
      // The host's speed drifts for seconds to minutes at a time (bare session.run up to 60% slower), and a slow
      // spell weighs on the handler's share more than on the model run: the pass reported is the median one by
      // overhead, and every pass's overhead is shown.
      const byOverhead = [...passes].sort((a, b) => pairedRatio(b, 1) - pairedRatio(a, 1));
      const times = byOverhead[byOverhead.length >> 1];
      const passOverheads = passes.map((pass) => `${(100 * (1 / pairedRatio(pass, 1) - 1)).toFixed(1)}%`).join(', ');
      const [oursMedian, bareMedian, minimalMedian] = times.map(median);
      const overBare = 1 / pairedRatio(times, 1) - 1;
      results.push({
        name: `handler vs bare session.run, ${model.name}, batch ${batch}`,
        ours: oursMedian,
        reference: bareMedian,
        ratio: pairedRatio(times, 1),
        unit: 'µs/call',
        ...(batch === 1 ? { goal: 1 / 1.1 } : {}),
        note: `overhead ${(100 * overBare).toFixed(1)}%${batch === 1 ? ' (goal < 10%)' : ''}; median of ${ROUNDS} per-round ratios (rounds of ${calls} calls per side) of the median pass; passes: ${passOverheads}`,
      });
      results.push({
        name: `handler vs hand-written JSON.parse/stringify handler, ${model.name}, batch ${batch}`,
        ours: oursMedian,
        reference: minimalMedian,
        ratio: pairedRatio(times, 2),
        unit: 'µs/call',
        note: `the hand-written one (no validation, metrics or capture) is ${(100 * (median(times[2].map((t, round) => t / times[1][round])) - 1)).toFixed(1)}% over bare session.run; same rounds`,
      });
    }
    await bare.release();
    return results;
  } finally {
    process.env = saved;
    await backends.stop();
  }
}

/**
 * What one would write by hand around a session, with no validation, metrics or capture: JSON.parse the body, run,
 * JSON.stringify the predictions. The reference of the HTTP comparison, and a second one for the handler.
 */
async function minimalPredict(session: InferenceSession, inputName: string, outputName: string, width: number, text: string): Promise<string> {
  const { instances } = JSON.parse(text) as { instances: number[][] };
  const input = new Tensor('float32', Float32Array.from(instances.flat()), [instances.length, width]);
  const output = (await session.run({ [inputName]: input }, [outputName]))[outputName].data as Float32Array;
  const predictions = instances.map((_, r) => ({ label: output[2 * r + 1] > output[2 * r] ? 1 : 0, probabilities: [output[2 * r], output[2 * r + 1]] }));
  return JSON.stringify({ predictions });
}

function minimalServer(session: InferenceSession, inputName: string, outputName: string, width: number): Server {
  return createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const body = await minimalPredict(session, inputName, outputName, width, Buffer.concat(chunks).toString('utf8'));
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    });
  });
}

/** Loopback load generator (plain JS, run in a worker thread so it does not share the servers' event loop). */
const LOAD_GENERATOR = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { port, body, requests, concurrency } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
let sent = 0, done = 0, failed = 0;
const start = process.hrtime.bigint();
function next() {
  if (sent >= requests) return;
  sent++;
  const req = http.request({ host: '127.0.0.1', port, path: '/invocations', method: 'POST', agent,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
    if (res.statusCode !== 200) failed++;
    res.resume();
    res.on('end', () => {
      if (++done === requests) {
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        agent.destroy();
        parentPort.postMessage({ perSecond: requests / seconds, failed });
      } else next();
    });
  });
  req.on('error', () => { failed++; if (++done === requests) parentPort.postMessage({ perSecond: 0, failed }); else next(); });
  req.end(body);
}
for (let i = 0; i < concurrency; i++) next();
`;

function load(port: number, body: string, requests: number, concurrency: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(LOAD_GENERATOR, { eval: true, workerData: { port, body, requests, concurrency } });
    worker.once('message', (result: { perSecond: number; failed: number }) => {
      void worker.terminate();
      if (result.failed) reject(new Error(`${result.failed} requests failed`));
      else resolve(result.perSecond);
    });
    worker.once('error', reject);
  });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Interleaved rounds per side in the HTTP comparison; the verdict uses the medians, the best rounds are shown too. */
const HTTP_ROUNDS = 6;

async function httpThroughput(model: BenchModel): Promise<BenchResult> {
  const { inputName, outputName } = model.metadata;
  const service = new InferenceService({
    source: {
      model: 'card-fraud',
      version: 1,
      load: async () => ({ onnx: model.onnx, metadata: model.metadata, model: 'card-fraud', version: 1, artifactUri: 'bench', artifactSha256: '' }),
    },
    metrics: new InferenceMetrics(new Metrics({ namespace: 'MLOps/bench' }), 'card-fraud', 1),
  });
  const ours = createInferenceServer(service);
  const reference = minimalServer(await InferenceSession.create(model.onnx, SESSION_OPTIONS), inputName, outputName, model.metadata.features.length);
  const [oursPort, referencePort] = [await listen(ours), await listen(reference)];
  const body = JSON.stringify({ instances: batchRows(model, 1) });
  const requests = 10_000;
  const concurrency = 16;
  const oursRates: number[] = [];
  const referenceRates: number[] = [];
  // The server flushes its EMF metrics to stdout on a timer and on close; keep them out of the table.
  await quietly(async () => {
    try {
      await load(oursPort, body, 2000, concurrency);
      await load(referencePort, body, 2000, concurrency);
      for (let round = 0; round < HTTP_ROUNDS; round++) {
        const pair = round % 2 ? ([referenceRates, referencePort, oursRates, oursPort] as const) : ([oursRates, oursPort, referenceRates, referencePort] as const);
        pair[0].push(await load(pair[1], body, requests, concurrency));
        pair[2].push(await load(pair[3], body, requests, concurrency));
      }
    } finally {
      await Promise.all([ours, reference].map((server) => new Promise((resolve) => server.close(resolve))));
      await service.flush();
    }
  });
  const oursRate = median(oursRates);
  const referenceRate = median(referenceRates);
  const best = Math.max(...oursRates) / Math.max(...referenceRates);
  return {
    name: `HTTP server.ts vs minimal node:http, ${model.name}, batch 1`,
    ours: 1e6 / oursRate,
    reference: 1e6 / referenceRate,
    ratio: oursRate / referenceRate,
    unit: 'µs/request',
    goal: 0.8,
    note: `${oursRate.toFixed(0)} vs ${referenceRate.toFixed(0)} requests/s (goal ≥ 0.8x), best rounds ${best.toFixed(2)}x; ${concurrency} keep-alive loopback clients in a worker, ${requests} requests × ${HTTP_ROUNDS} interleaved rounds, medians`,
  };
}

export async function runInferenceBench(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const models = await benchModels();
  for (const model of models) results.push(...(await handlerOverhead(model)));
  for (const model of models) results.push(await httpThroughput(model));
  return results;
}
