/**
 * Bundled and run by bench/cold-start.ts in a fresh `node` process: the inference function's model load step by step,
 * with the code the handler runs (modelSourceFromEnv's clients, loadVerifiedModel, ModelSession.create), each step
 * timed. Module loading is not timed here (the cold start itself times the handler bundle's load).
 * Prints `<PHASES_MARKER> <json of the step times in ms>`.
 */
import { afterRequestsSent } from '../lambdas/inference/after-requests-sent';
import { DirectReads, directReadsConfigFromEnv } from '../lambdas/inference/direct-reads';
import { readModelArchive } from '../lambdas/inference/model-archive';
import { ModelSession, onnxRuntime } from '../lambdas/inference/model-session';
import { loadVerifiedModel, sha256Hex } from '../lambdas/inference/model-store';
import { type LoadPhases, PHASES_MARKER } from './cold-start-phases-report';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Environment variable ${name} is required (bench/cold-start.ts sets it)`);
  return value;
}

async function timed<T>(step: () => T | Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await step();
  return [value, performance.now() - start];
}

async function main(): Promise<void> {
  const config = directReadsConfigFromEnv();
  if (!config) throw new Error('the environment has no static credentials and region for direct reads (bench/cold-start.ts sets them)');
  const [reads, clients] = await timed(() => new DirectReads(config, env('REGISTRY_TABLE_NAME')));
  let registryRead = 0;
  const registry = {
    getVersion: async (model: string, version: number) => {
      const [record, ms] = await timed(() => reads.getVersion(model, version));
      registryRead = ms;
      return record;
    },
  };
  // As InferenceService.warmUp: onnxruntime-node loads while the reads are in flight.
  void afterRequestsSent(onnxRuntime);
  const [artifact, load] = await timed(() => loadVerifiedModel({ registry, artifacts: reads }, env('MODEL_NAME'), Number(env('MODEL_VERSION')), { expectedArtifactUri: env('MODEL_ARTIFACT_URI') }));
  const [session, sessionCreate] = await timed(() => ModelSession.create(artifact));
  const row = JSON.parse(env('COLD_START_ROW')) as number[];
  const [, firstRun] = await timed(() => session.run(Float32Array.from(row), 1));
  // The two steps loadVerifiedModel runs after the download, timed again on the same bytes (now warm: a lower bound).
  const bytes = await reads.read(artifact.artifactUri);
  const [, hash] = await timed(() => sha256Hex(bytes));
  const [, archive] = await timed(() => readModelArchive(bytes, artifact.artifactUri));
  const phases: LoadPhases = { clients, registryRead, download: load - registryRead - hash - archive, hash, archive, sessionCreate, firstRun };
  process.stdout.write(`\n${PHASES_MARKER} ${JSON.stringify(phases)}\n`);
  process.exit(0);
}

void main();
