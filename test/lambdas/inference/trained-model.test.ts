import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { InferenceResponse } from '../../../lambdas/inference/inference-service';
import { SESSION_OPTIONS } from '../../../lambdas/inference/model-session';
import { packModelArchive } from '../../../pipelines/common/model-archive';
import { rowOf } from '../../../pipelines/common/tabular';
import { named } from './fixtures';
import { type ServingBackends, startServingBackends } from './registered-model';
import { type TrainedFraudModel, trainFraudModel } from './trained-fraud-model';

type Handler = (event: unknown) => Promise<InferenceResponse>;
type ClassifierPrediction = { label: number; probabilities: [number, number] };

let backends: ServingBackends;
let trained: TrainedFraudModel;
const savedEnv = { ...process.env };

beforeAll(async () => {
  backends = await startServingBackends();
  trained = trainFraudModel({ rows: 4000, seed: 11 });
});
afterAll(async () => {
  process.env = { ...savedEnv };
  vi.restoreAllMocks();
  await backends.stop();
});

describe('a model from the project trainer, served by the inference handler', () => {
  it('answers what onnxruntime and the trainer itself predict for every holdout row', async () => {
    // GIVEN the example team's model, packaged as the training job writes it and registered
    const { version } = await backends.register('card-fraud', await packModelArchive(trained.onnx, trained.metadata));
    Object.assign(process.env, backends.env, {
      MODEL_NAME: 'card-fraud',
      MODEL_VERSION: String(version),
      CAPTURE_SAMPLE_PERCENT: '0',
      METRICS_NAMESPACE: 'MLOps/fraud',
      POWERTOOLS_SERVICE_NAME: 'inference',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.resetModules();
    const { handler } = (await import('../../../lambdas/inference/handler')) as { handler: Handler };
    const { holdout } = trained;
    const rows = Array.from({ length: holdout.rowCount }, (_, r) => rowOf(holdout, r));

    // WHEN every holdout row is sent, the first ten by feature name
    const instances = rows.map((row, r) => (r < 10 ? named(row, trained.metadata) : row));
    const response = await handler({
      rawPath: '/invocations',
      headers: { 'content-type': 'application/json' },
      requestContext: { requestId: 'trained-model', http: { method: 'POST' } },
      body: JSON.stringify({ instances }),
      isBase64Encoded: false,
    });

    // THEN the probabilities are onnxruntime's own float32 outputs for the same rows under the tier's session
    // options, exactly: parsing, the float32 input and the response encoding lose nothing (other options, e.g.
    // more threads, may sum the trees in another order and differ in the last bit)
    expect(response.statusCode).toBe(200);
    const { predictions, modelVersion } = JSON.parse(response.body) as { predictions: ClassifierPrediction[]; modelVersion: number };
    expect(modelVersion).toBe(version);
    expect(predictions).toHaveLength(holdout.rowCount);
    const session = await InferenceSession.create(trained.onnx, SESSION_OPTIONS);
    const input = new Tensor('float32', Float32Array.from(holdout.features), [holdout.rowCount, holdout.columnCount]);
    const reference = (await session.run({ [trained.metadata.inputName]: input }))[trained.metadata.outputName].data as Float32Array;
    await session.release();
    predictions.forEach((prediction, r) => {
      expect(prediction.probabilities).toEqual([reference[2 * r], reference[2 * r + 1]]);
      expect(prediction.label).toBe(reference[2 * r + 1] > reference[2 * r] ? 1 : 0);
    });

    // AND they agree with the trainer's own (float64) predictions to float32 precision
    const own = trained.model.predict(holdout.features, holdout.rowCount);
    const worst = predictions.reduce((max, p, r) => Math.max(max, Math.abs(p.probabilities[1] - own[r])), 0);
    expect(worst).toBeLessThan(1e-5);
    // AND the model is not degenerate: it predicts both classes on the holdout rows
    expect(new Set(predictions.map((p) => p.label))).toEqual(new Set([0, 1]));
  });
});
