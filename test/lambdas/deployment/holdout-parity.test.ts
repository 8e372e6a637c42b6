import { Readable } from 'node:stream';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHoldoutParity, HOLDOUT_BATCH_ROWS } from '../../../lambdas/deployment/holdout-parity';
import { readModelArchive } from '../../../lambdas/inference/model-archive';
import { InferenceService } from '../../../lambdas/inference/inference-service';
import { ModelSession } from '../../../lambdas/inference/model-session';
import { RegistryModelSource } from '../../../lambdas/inference/model-source';
import { sha256Hex } from '../../../lambdas/inference/model-store';
import { InferenceMetrics } from '../../../lambdas/inference/telemetry';
import { modelMetadataSchema } from '../../../contracts/model-metadata';
import { packModelArchive } from '../../../pipelines/common/model-archive';
import { s3ArtifactReader } from '../../../pipelines/common/s3';
import { openObjectByUri } from '../../../pipelines/common/s3-stream';
import { readLabelledCsv, scoreTable } from '../../../pipelines/evaluation/score';
import { encodeModel, floatInfo, floatTensor, node } from '../../../pipelines/trainer/onnx/graph';
import { startDynalite, type LocalDynamo } from '../../helpers/dynalite';
import { startS3rver, type LocalS3 } from '../../helpers/s3rver';
import { by, registration, registryOn } from '../registry/fixtures';

const MODEL = 'card-fraud';
const ROWS = 20_000;
const FEATURES = ['amount', 'hour', 'merchant_category'];

/** Deterministic holdout rows, the label mostly following the first feature; `bad` replaces one data row's hour. */
function holdoutCsv(bad?: { row: number; hour: string }): string {
  let seed = 4242;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const lines = [[...FEATURES, 'is_fraud'].join(',')];
  for (let i = 1; i <= ROWS; i++) {
    const row: (number | string)[] = [next(), next(), Math.round((next() + 1) * 2)];
    const label = Number(row[0]) + 0.6 * next() > 0.1 ? 1 : 0;
    if (bad?.row === i) row[1] = bad.hour;
    lines.push([...row, label].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** sigmoid(features · weights + bias), as a registered model.tar.gz. */
function modelArchive(): Promise<Buffer> {
  const onnx = encodeModel(
    {
      name: 'holdout-parity-test',
      node: [node('MatMul', ['features', 'weights'], ['z']), node('Add', ['z', 'bias'], ['logit']), node('Sigmoid', ['logit'], ['probabilities'])],
      input: [floatInfo('features', ['N', 3])],
      output: [floatInfo('probabilities', ['N', 1])],
      initializer: [floatTensor('weights', [3, 1], [3, 0.2, 0]), floatTensor('bias', [1], [0])],
    },
    'holdout parity test model',
  );
  const features = FEATURES.map((name) => ({ name, type: 'numeric' as const }));
  return packModelArchive(onnx, modelMetadataSchema.parse({ inputName: 'features', features, task: 'binary-classification', labels: [0, 1], outputName: 'probabilities', algorithm: 'logistic' }));
}

let dynamo: LocalDynamo;
let s3: LocalS3;
let recordedAuc: number;
const holdoutText = holdoutCsv();
const badText = holdoutCsv({ row: 1234, hour: 'noon' });

beforeAll(async () => {
  [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
  const archive = await modelArchive();
  const artifact = readModelArchive(archive, 'the evaluated model');
  const session = await ModelSession.create(artifact);
  try {
    // The whole file, read as the check read it before it streamed: the AUC the evaluation recorded.
    recordedAuc = (await scoreTable(session, readLabelledCsv('holdout', holdoutText, artifact.metadata), 'binary-classification')).auc;
  } finally {
    await session.release();
  }
  const registry = registryOn(dynamo);
  for (const [n, csv] of [[1, holdoutText], [2, badText]] as const) {
    await s3.put(s3.bucket, `runs/run-${n}/processed/holdout/data.csv`, csv);
    await s3.put(s3.bucket, `runs/run-${n}/model/job-${n}/output/model.tar.gz`, archive);
    await registry.register(registration(MODEL, n, { artifactSha256: sha256Hex(archive), metrics: { holdout: { auc: recordedAuc } } }), 'pipeline:test');
    await registry.approve(MODEL, n, by('reviewer'));
  }
}, 60_000);
afterAll(async () => {
  await Promise.all([dynamo?.stop(), s3?.stop()]);
});

/**
 * The check against the version served in process (registry, archive from S3, onnxruntime), with the holdout's bytes
 * counted as the check consumes them; `consumedAtFirstInvocation` is how much of the file had been read when the
 * first batch went to the function.
 */
function instrumentedCheck(version: number) {
  const service = new InferenceService({
    source: new RegistryModelSource({ registry: registryOn(dynamo), artifacts: s3ArtifactReader(s3.client) }, MODEL, version),
    metrics: new InferenceMetrics(new Metrics({ namespace: 'MLOps/test' }), MODEL, version),
  });
  const seen = { holdoutBytes: 0, consumedAtFirstInvocation: -1, invocations: 0 };
  const inference = {
    invoke: (_functionVersion: string, payload: unknown) => {
      if (seen.invocations++ === 0) seen.consumedAtFirstInvocation = seen.holdoutBytes;
      const { rawPath, body, requestContext } = payload as { rawPath: string; body: string; requestContext: { requestId: string; http: { method: string } } };
      return service.handle({ method: requestContext.http.method, path: rawPath, body, requestId: requestContext.requestId, captureOptOut: true });
    },
  };
  const openObject = async (uri: string): Promise<AsyncIterable<Uint8Array>> => {
    const body = await openObjectByUri(s3.client, uri);
    if (!uri.endsWith('.csv')) return body;
    return Readable.from(
      (async function* () {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          seen.holdoutBytes += chunk.length;
          yield chunk;
        }
      })(),
    );
  };
  const check = () => checkHoldoutParity({ registry: registryOn(dynamo), inference, openObject, tolerance: 0.001 }, { model: MODEL, version, functionVersion: '1', execution: 'deploy-test' });
  return { check, seen };
}

describe('holdout parity streams the holdout set', () => {
  it('sends the first batch before the file is read, and reaches the whole file\'s metric', async () => {
    // GIVEN a holdout set of 20,000 rows
    const { check, seen } = instrumentedCheck(1);
    // WHEN the check runs
    const result = await check();
    // THEN the function saw its first batch while most of the file was still unread (the old check read it whole first) ...
    const size = Buffer.byteLength(holdoutText);
    expect(seen.holdoutBytes).toBe(size);
    expect(seen.consumedAtFirstInvocation).toBeGreaterThan(0);
    expect(seen.consumedAtFirstInvocation).toBeLessThan(size / 4);
    // ... and the result is the one the whole file gives
    expect(seen.invocations).toBe(Math.ceil(ROWS / HOLDOUT_BATCH_ROWS));
    expect(result).toMatchObject({ rows: ROWS, metric: 'auc', recorded: recordedAuc, observed: recordedAuc, difference: 0, maxProbabilityDifference: 0 });
  });

  it('names the bad row by its number in the file and stops reading it', async () => {
    // GIVEN a holdout set whose data row 1234 has "noon" for hour
    const { check, seen } = instrumentedCheck(2);
    // WHEN the check runs, THEN it fails naming the row as the whole-file reader did ...
    await expect(check()).rejects.toThrow(`column "hour", row 1234 of s3://artifacts/runs/run-2/processed/holdout/data.csv: expected a finite number, got "noon"`);
    // ... without reading the rest of the file
    expect(seen.holdoutBytes).toBeLessThan(Buffer.byteLength(badText) / 2);
  });
});
