import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { functionUrlEvent } from '../../../lambdas/deployment/holdout-parity';
import type { InferenceResponse } from '../../../lambdas/inference/inference-service';
import { captureRecordSchema } from '../../../contracts/capture-record';
import { fixtureArchive, loadFixture, named } from './fixtures';
import { type FirehoseDouble, startFirehoseDouble } from './firehose-double';
import { type ServingBackends, startServingBackends } from './registered-model';
import { emfOutput } from '../../helpers/emf-output';

type Handler = (event: unknown) => Promise<InferenceResponse>;

let backends: ServingBackends;
let firehose: FirehoseDouble;
const savedEnv = { ...process.env };

beforeAll(async () => {
  backends = await startServingBackends();
  firehose = await startFirehoseDouble();
});
afterAll(async () => {
  await backends.stop();
  await firehose.stop();
});
afterEach(() => {
  process.env = { ...savedEnv };
  vi.restoreAllMocks();
});

/** Imports a fresh copy of lambdas/inference/handler.ts under the given MODEL_VERSION, as a new container would. */
async function coldStart(modelVersion: string, env: Record<string, string> = {}): Promise<Handler> {
  Object.assign(process.env, backends.env, {
    AWS_ENDPOINT_URL_FIREHOSE: firehose.endpoint,
    MODEL_NAME: 'card-fraud',
    MODEL_VERSION: modelVersion,
    CAPTURE_STREAM_NAME: 'capture-card-fraud',
    CAPTURE_SAMPLE_PERCENT: '100',
    METRICS_NAMESPACE: 'MLOps/fraud',
    POWERTOOLS_SERVICE_NAME: 'inference',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    ...env,
  });
  vi.resetModules();
  return (await import('../../../lambdas/inference/handler')).handler as Handler;
}

let requests = 0;
function event(method: string, rawPath: string, body?: unknown) {
  return {
    version: '2.0',
    rawPath,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: { requestId: `req-${++requests}`, timeEpoch: Date.now(), http: { method, path: rawPath } },
    isBase64Encoded: false,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  };
}

describe('inference handler', () => {
  it('serves predictions of the registered version, captures the rows and publishes EMF metrics', async () => {
    // GIVEN a registered fraud model and a function version serving it
    const fixture = loadFixture('fraud-gbt');
    const { version } = await backends.register('card-fraud', fixtureArchive('fraud-gbt'));
    const emf = emfOutput();
    const handler = await coldStart(String(version));
    const rows = fixture.expected.rows.slice(0, 3);

    // WHEN it is invoked with positional and named rows
    const request = event('POST', '/invocations', { instances: [rows[0], named(rows[1], fixture.metadata), rows[2]] });
    const response = await handler(request);

    // THEN it answers with one prediction per row and the model version
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body) as { predictions: { label: number; probabilities: number[] }[]; modelVersion: number; predictionIds: string[] };
    expect(body.modelVersion).toBe(version);
    // AND one id per prediction, the function URL's request id and the row
    expect(body.predictionIds).toEqual([0, 1, 2].map((r) => `${request.requestContext.requestId}:${r}`));
    body.predictions.forEach((prediction, r) => {
      const expected = fixture.expected.expected[r] as number[];
      expect(Math.abs(prediction.probabilities[1] - expected[1])).toBeLessThan(1e-5);
      expect(prediction.label).toBe(expected[1] > expected[0] ? 1 : 0);
    });

    // AND the rows went to the capture stream as CaptureRecords (100% sampled)
    const lines = firehose.lines().map((line) => captureRecordSchema.parse(JSON.parse(line)));
    expect(firehose.calls.at(-1)?.streamName).toBe('capture-card-fraud');
    expect(lines.slice(-3)).toEqual(
      rows.map((row, r) =>
        expect.objectContaining({ model: 'card-fraud', modelVersion: version, predictionId: body.predictionIds[r], features: row, label: body.predictions[r].label, prediction: body.predictions[r].probabilities[1] }),
      ),
    );

    // AND the metrics were published as EMF, dimensioned by Model and by Model + ModelVersion
    const [document] = emf();
    const aws = document._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
    expect(aws.CloudWatchMetrics[0].Namespace).toBe('MLOps/fraud');
    expect(aws.CloudWatchMetrics[0].Dimensions).toEqual([['Model'], ['Model', 'ModelVersion']]);
    expect(document).toMatchObject({ Model: 'card-fraud', ModelVersion: String(version), Invocations: 1, Predictions: 3, ClientErrors: 0, InvocationErrors: 0 });
    expect(document.PredictedPositive).toBe(body.predictions.filter((p) => p.label === 1).length);
    expect(typeof document.InvocationLatency).toBe('number');
    // AND the cold start's time to be ready, once: the process's start to the session created (this process started
    // before the test; its import of the handler waited for the load)
    expect(document.ModelLoadTime).toBeGreaterThan(0);
    expect(document.ModelLoadTime).toBeLessThanOrEqual(performance.now());

    // AND the next interval's document has no load time: the model loaded once
    const later = event('POST', '/invocations', { instances: [rows[0]] });
    later.requestContext.timeEpoch += 2_000;
    await handler(later);
    expect(emf()).toHaveLength(2);
    expect(emf()[1]).toMatchObject({ Invocations: 1 });
    expect(emf()[1]).not.toHaveProperty('ModelLoadTime');
  });

  it('does not capture the holdout check\'s requests (x-mlops-capture: off) but still serves and counts them', async () => {
    // GIVEN a function version capturing 100% of its traffic
    const rows = loadFixture('fraud-gbt').expected.rows.slice(0, 4);
    const { version } = await backends.register('card-fraud', fixtureArchive('fraud-gbt'));
    const emf = emfOutput();
    const before = firehose.lines().length;

    // WHEN the deployment's holdout check invokes it with its own event (header x-mlops-capture: off)
    const holdout = await (await coldStart(String(version)))(functionUrlEvent({ instances: rows }));

    // THEN it answers and counts the rows, and nothing reaches the capture stream (the first invocation flushes)
    expect(holdout.statusCode).toBe(200);
    expect(JSON.parse(holdout.body).predictions).toHaveLength(4);
    expect(emf()[0]).toMatchObject({ Invocations: 1, Predictions: 4, CapturedRecords: 0, CaptureFailed: 0 });
    expect(firehose.lines()).toHaveLength(before);

    // AND the same rows without the header, in a fresh container, are captured
    const production = await (await coldStart(String(version)))(event('POST', '/invocations', { instances: rows }));
    expect(production.statusCode).toBe(200);
    expect(firehose.lines()).toHaveLength(before + 4);
  });

  it('answers a bad request with 400 naming the field, and GET /ping with 200', async () => {
    const { version } = await backends.register('card-fraud', fixtureArchive('fraud-gbt'));
    emfOutput();
    const handler = await coldStart(String(version));
    const bad = await handler(event('POST', '/invocations', { instances: [{ amount: 1 }] }));
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body)).toEqual({ error: 'InvalidRequestError', message: 'instances[0]: missing feature "hour_of_day"' });
    const ping = await handler(event('GET', '/ping'));
    expect(ping.statusCode).toBe(200);
    expect(JSON.parse(ping.body)).toMatchObject({ status: 'ready', model: 'card-fraud', modelVersion: version, task: 'binary-classification' });
  });

  it('accepts a base64-encoded body', async () => {
    const { version } = await backends.register('card-fraud', fixtureArchive('fraud-gbt'));
    emfOutput();
    const handler = await coldStart(String(version));
    const body = Buffer.from(JSON.stringify({ instances: [loadFixture('fraud-gbt').expected.rows[0]] })).toString('base64');
    const response = await handler({ ...event('POST', '/invocations'), body, isBase64Encoded: true });
    expect(response.statusCode).toBe(200);
  });

  it('refuses to serve an artifact whose SHA-256 does not match the registry: 503 with the reason and a load-error metric', async () => {
    const { version } = await backends.register('card-fraud', fixtureArchive('fraud-gbt'), 'a'.repeat(64));
    const emf = emfOutput();
    const handler = await coldStart(String(version));
    const response = await handler(event('POST', '/invocations', { instances: [loadFixture('fraud-gbt').expected.rows[0]] }));
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'ArtifactIntegrityError' });
    expect(JSON.parse(response.body).message).toMatch(/but the registry recorded a{64}; refusing to load it$/);
    expect((await handler(event('GET', '/ping'))).statusCode).toBe(503);
    expect(emf()[0]).toMatchObject({ ModelLoadErrors: 1, InvocationErrors: 1 });
  });

  it('answers 503 with the reason on $LATEST before the first deployment (MODEL_VERSION unset)', async () => {
    emfOutput();
    const handler = await coldStart('');
    const ping = await handler(event('GET', '/ping'));
    expect(ping.statusCode).toBe(503);
    expect(JSON.parse(ping.body).message).toMatch(/^MODEL_VERSION is not set/);
  });

  it('answers every invocation with the configuration error, naming the variable', async () => {
    const { version } = await backends.register('card-fraud', fixtureArchive('fraud-gbt'));
    const handler = await coldStart(String(version), { METRICS_NAMESPACE: '' });
    await expect(handler(event('GET', '/ping'))).rejects.toThrow('Environment variable METRICS_NAMESPACE is required');
    await expect(handler(event('GET', '/ping'))).rejects.toThrow('Environment variable METRICS_NAMESPACE is required');
  });

  it('refuses an oversized body with 413 before parsing it', async () => {
    const { version } = await backends.register('card-fraud', fixtureArchive('fraud-gbt'));
    emfOutput();
    const handler = await coldStart(String(version), { INFERENCE_MAX_BODY_BYTES: '1000' });
    // Loaded first: the model load parses its registry record and metadata.
    expect((await handler(event('GET', '/ping'))).statusCode).toBe(200);
    const parse = vi.spyOn(JSON, 'parse');
    const response = await handler(event('POST', '/invocations', `{"instances": [${'1,'.repeat(600)}]`));
    expect(response.statusCode).toBe(413);
    expect(parse).not.toHaveBeenCalled();
  });

  it('answers unknown routes with 404, wrong methods with 405, and a non-URL event (or a non-numeric timeEpoch) with 400', async () => {
    const { version } = await backends.register('card-fraud', fixtureArchive('fraud-gbt'));
    emfOutput();
    const handler = await coldStart(String(version));
    expect((await handler(event('GET', '/predict'))).statusCode).toBe(404);
    const wrongMethod = await handler(event('GET', '/invocations'));
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers.allow).toBe('POST');
    const notAnEvent = await handler({ hello: 'world' });
    expect(notAnEvent.statusCode).toBe(400);
    expect(JSON.parse(notAnEvent.body).message).toMatch(/^expected a function URL event: rawPath: /);
    const badTime = event('POST', '/invocations', { instances: [loadFixture('fraud-gbt').expected.rows[0]] });
    const badTimeAnswer = await handler({ ...badTime, requestContext: { ...badTime.requestContext, timeEpoch: 'yesterday' } });
    expect(badTimeAnswer.statusCode).toBe(400);
    expect(JSON.parse(badTimeAnswer.body).message).toMatch(/requestContext\.timeEpoch: /);
  });
});
