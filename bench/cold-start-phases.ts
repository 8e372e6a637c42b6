/**
 * Bundled and run by bench/cold-start.ts in a fresh `node` process: the inference function's model load step by step,
 * with the code the handler runs (modelSourceFromEnv's clients, loadVerifiedModel, ModelSession.create), each step
 * timed. Module loading is not timed here (the cold start itself times the handler bundle's load).
 * Prints `<PHASES_MARKER> <json of the step times in ms>`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readModelArchive } from '../lambdas/inference/model-archive';
import { ModelSession } from '../lambdas/inference/model-session';
import { loadVerifiedModel, sha256Hex } from '../lambdas/inference/model-store';
import { DynamoRegistryStore, registryDocumentClient } from '../lambdas/registry/dynamodb-store';
import { createS3Client, getObjectByUri } from '../pipelines/common/s3';

export const PHASES_MARKER = 'COLD_START_PHASES';

/**
 * The steps, in ms; `download` is loadVerifiedModel's time less the registry read, the hash and the archive read.
 * `predicted`: ms from the process's start to the first prediction's end, with only these steps' code loaded (no
 * handler, capture, metrics or shadow code): the floor under the function's cold start while it reads the registry
 * and downloads the archive.
 */
export interface LoadPhases {
  predicted: number;
  clients: number;
  registryRead: number;
  download: number;
  hash: number;
  archive: number;
  sessionCreate: number;
  firstRun: number;
}

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
  const [deps, clients] = await timed(() => ({
    registry: new DynamoRegistryStore(registryDocumentClient(new DynamoDBClient({})), env('REGISTRY_TABLE_NAME')),
    s3: createS3Client(),
  }));
  let registryRead = 0;
  const registry = {
    getVersion: async (model: string, version: number) => {
      const [record, ms] = await timed(() => deps.registry.getVersion(model, version));
      registryRead = ms;
      return record;
    },
  };
  const [artifact, load] = await timed(() => loadVerifiedModel({ registry, s3: deps.s3 }, env('MODEL_NAME'), Number(env('MODEL_VERSION'))));
  const [session, sessionCreate] = await timed(() => ModelSession.create(artifact));
  const row = JSON.parse(env('COLD_START_ROW')) as number[];
  const [, firstRun] = await timed(() => session.run(Float32Array.from(row), 1));
  const predicted = performance.now();
  // The two steps loadVerifiedModel runs after the download, timed again on the same bytes (now warm: a lower bound).
  const bytes = await getObjectByUri(deps.s3, artifact.artifactUri);
  const [, hash] = await timed(() => sha256Hex(bytes));
  const [, archive] = await timed(() => readModelArchive(bytes, artifact.artifactUri));
  const phases: LoadPhases = { predicted, clients, registryRead, download: load - registryRead - hash - archive, hash, archive, sessionCreate, firstRun };
  process.stdout.write(`\n${PHASES_MARKER} ${JSON.stringify(phases)}\n`);
  process.exit(0);
}

if (require.main === module) void main();
