import { Metrics } from '@aws-lambda-powertools/metrics';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FirehoseCaptureSink } from '../../../lambdas/inference/capture-sink';
import { InferenceService } from '../../../lambdas/inference/inference-service';
import { InferenceMetrics } from '../../../lambdas/inference/telemetry';
import { DeferredCaptureSink, TrafficCapture } from '../../../lambdas/inference/traffic-capture';
import { captureRecordSchema } from '../../../contracts/capture-record';
import { LOCAL_AWS } from '../../helpers/dynalite';
import { emfOutput } from '../../helpers/emf-output';
import { type Fixture, loadFixture } from './fixtures';
import { startFirehoseDouble } from './firehose-double';

const fixture = loadFixture('fraud-gbt');
const LOAD_MS = 50;

describe('InferenceService', () => {
  afterEach(() => vi.restoreAllMocks());

  it('answers requests that arrive while the model loads, and counts the load in their latency', async () => {
    // GIVEN a service whose model takes LOAD_MS to load
    const documents = emfOutput();
    const service = new InferenceService({
      source: {
        model: 'card-fraud',
        version: 1,
        load: () => new Promise((resolve) => setTimeout(() => resolve({ ...fixture, model: 'card-fraud', version: 1, artifactUri: 'fixture', artifactSha256: '' }), LOAD_MS)),
      },
      metrics: new InferenceMetrics(new Metrics({ namespace: 'MLOps/test' }), 'card-fraud', 1),
    });
    const request = (body: string) => service.handle({ method: 'POST', path: '/invocations', body, requestId: 'r' });

    // WHEN a valid and an invalid request arrive before the load has finished
    const [valid, invalid] = await Promise.all([
      request(JSON.stringify({ instances: [fixture.expected.rows[0]] })),
      request(JSON.stringify({ instances: [[1, 2]] })),
    ]);
    await service.flush();

    // THEN both are answered after the load: a prediction, and a 400 naming the problem
    expect(valid.statusCode).toBe(200);
    expect(JSON.parse(valid.body)).toMatchObject({ modelVersion: 1, predictions: [expect.objectContaining({ label: expect.anything() })] });
    expect(invalid.statusCode).toBe(400);
    expect(JSON.parse(invalid.body).message).toMatch(/^instances\[0\]: expected 9 values/);
    const [document] = documents();
    expect(document).toMatchObject({ Invocations: 2, ClientErrors: 1 });
    const latencies = [document.InvocationLatency].flat() as number[];
    expect(latencies).toHaveLength(2);
    // Timers may fire a millisecond early; the load dominates either way.
    for (const latency of latencies) expect(latency).toBeGreaterThanOrEqual(LOAD_MS - 2);
  });

  it("delivers the first capture of a sink that loads its client on first use, though the load outlasts the delivery's budget", async () => {
    // GIVEN the Lambda handler's kind of sink (its SDK client imported on the first delivery), slower to load than the budget
    emfOutput();
    const delivered: string[] = [];
    const sink = new DeferredCaptureSink(() => new Promise((resolve) => setTimeout(() => resolve({
            // As the Firehose sink: a delivery whose budget has run out is abandoned, its lines counted as failed.
            put: async (lines, signal) => (signal?.aborted ? { delivered: 0, failed: lines.length } : (delivered.push(...lines), { delivered: lines.length, failed: 0 })),
          }), 200)));
    const service = new InferenceService({
      source: { model: 'card-fraud', version: 1, load: async () => ({ ...fixture, model: 'card-fraud', version: 1, artifactUri: 'fixture', artifactSha256: '' }) },
      metrics: new InferenceMetrics(new Metrics({ namespace: 'MLOps/test' }), 'card-fraud', 1),
      capture: new TrafficCapture(sink, { samplePercent: 100 }),
      captureBudgetMs: 20,
      flushWithRequests: true,
    });

    // WHEN the first request flushes
    const answer = await service.handle({ method: 'POST', path: '/invocations', body: JSON.stringify({ instances: [fixture.expected.rows[0]] }), requestId: 'first' });

    // THEN its row was delivered: the budget covers the delivery, not the client's one-time load
    expect(answer.statusCode).toBe(200);
    expect(delivered.map((line) => captureRecordSchema.parse(JSON.parse(line)).requestId)).toEqual(['first']);
  });

  it('flushes with a request once its arrival time is a flush interval after the last flush', async () => {
    // GIVEN a Lambda-style service (flushing with requests) on a wall clock that stands still
    const documents = emfOutput();
    let wall = 1_000_000;
    const service = new InferenceService({
      source: { model: 'card-fraud', version: 1, load: async () => ({ ...fixture, model: 'card-fraud', version: 1, artifactUri: 'fixture', artifactSha256: '' }) },
      metrics: new InferenceMetrics(new Metrics({ namespace: 'MLOps/test' }), 'card-fraud', 1),
      flushWithRequests: true,
      clock: () => wall,
    });
    const body = JSON.stringify({ instances: [fixture.expected.rows[0]] });
    const send = (receivedAt: number) => service.handle({ method: 'POST', path: '/invocations', body, requestId: 'r', receivedAt });

    // WHEN requests arrive at the first flush, then 500 and 999 ms later
    await send(wall);
    await send(wall + 500);
    await send(wall + 999);
    // THEN only the first flushed
    expect(documents()).toHaveLength(1);

    // WHEN one arrives a full interval later, though the clock has not moved
    await send(wall + 1000);
    // THEN it flushes the three requests since the first flush
    expect(documents()).toHaveLength(2);
    expect(documents()[1]).toMatchObject({ Invocations: 3 });

    // WHEN a request carries a time behind the last flush (a replayed or hand-made event)
    await send(0);
    // THEN the clock decides: not due while it stands still, due once it has moved on
    expect(documents()).toHaveLength(2);
    wall += 1000;
    await send(0);
    expect(documents()).toHaveLength(3);
    expect(documents()[2]).toMatchObject({ Invocations: 2 });
  });
});

/** A service serving `fixture` as version 1 of `model`. */
function serving(fixture: Fixture, model: string, capture?: TrafficCapture) {
  return new InferenceService({
    source: { model, version: 1, load: async () => ({ ...fixture, model, version: 1, artifactUri: 'fixture', artifactSha256: '' }) },
    metrics: new InferenceMetrics(new Metrics({ namespace: 'MLOps/test' }), model, 1),
    capture,
  });
}

describe('InferenceService with a multiclass model', () => {
  afterEach(() => vi.restoreAllMocks());
  const wine = loadFixture('wine-torch');
  const labels = wine.metadata.labels ?? [];

  it('answers each row with its most probable label and every class probability, and reports them in /ping', async () => {
    const service = serving(wine, 'wine');
    const rows = wine.expected.rows.slice(0, 5);

    const response = await service.handle({ method: 'POST', path: '/invocations', body: JSON.stringify({ instances: rows }), requestId: 'r' });
    const ping = await service.handle({ method: 'GET', path: '/ping', requestId: 'p' });

    expect(response.statusCode).toBe(200);
    const { predictions } = JSON.parse(response.body) as { predictions: { label: number; probabilities: number[] }[] };
    predictions.forEach((prediction, r) => {
      const expected = wine.expected.expected[r] as number[];
      expect(prediction.probabilities).toHaveLength(3);
      prediction.probabilities.forEach((p, c) => expect(Math.abs(p - expected[c])).toBeLessThan(1e-5));
      expect(prediction.label).toBe(labels[expected.indexOf(Math.max(...expected))]);
    });
    expect(JSON.parse(ping.body)).toEqual({
      status: 'ready',
      model: 'wine',
      modelVersion: 1,
      task: 'multiclass-classification',
      labels: [1, 2, 3],
      features: wine.metadata.features.map((f) => f.name),
    });
  });

  it('captures the predicted label, its probability and every class probability, and counts predictions per class', async () => {
    // GIVEN a service capturing every request to Firehose
    const documents = emfOutput();
    const firehose = await startFirehoseDouble();
    const sink = new FirehoseCaptureSink(new FirehoseClient({ ...LOCAL_AWS, endpoint: firehose.endpoint, maxAttempts: 1 }), 'capture-wine');
    const service = serving(wine, 'wine', new TrafficCapture(sink, { samplePercent: 100 }));
    const { rows } = wine.expected;

    // WHEN every holdout row is predicted and the service flushes
    await service.handle({ method: 'POST', path: '/invocations', body: JSON.stringify({ instances: rows }), requestId: 'r' });
    await service.flush();
    await firehose.stop();

    // THEN each row's capture record carries the class probabilities, the label and the label's probability
    const records = firehose.lines().map((line) => captureRecordSchema.parse(JSON.parse(line)));
    expect(records).toHaveLength(rows.length);
    const predicted = wine.expected.expected.map((p) => (p as number[]).indexOf(Math.max(...(p as number[]))));
    records.forEach((record, r) => {
      expect(record.label).toBe(labels[predicted[r]]);
      expect(record.probabilities).toHaveLength(3);
      expect(record.prediction).toBe(record.probabilities?.[predicted[r]]);
    });
    // AND ClassPredictions counts the rows of each predicted class, with dimensions [Model, Class]
    const perClass = documents().filter((d) => 'ClassPredictions' in d);
    expect(Object.fromEntries(perClass.map((d) => [d.Class, d.ClassPredictions]))).toEqual(
      Object.fromEntries(labels.map((label, c) => [String(label), predicted.filter((p) => p === c).length]).filter(([, n]) => n !== 0)),
    );
    for (const document of perClass) {
      expect((document._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0].Dimensions).toEqual([['Model', 'Class']]);
    }
    expect(documents().find((d) => 'Predictions' in d)).toMatchObject({ Predictions: rows.length, PredictedPositive: 0 });
  });
});

describe('InferenceService routes', () => {
  it('answers a POST to the root with a 404 that names the inference route', async () => {
    const service = serving(loadFixture('fraud-gbt'), 'card-fraud');
    const response = await service.handle({ method: 'POST', path: '/', body: '{"instances":[]}', requestId: 'r' });
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body)).toEqual({
      error: 'RouteNotFoundError',
      message: 'POST /: predictions are served at POST /invocations (readiness at GET /ping)',
    });
  });
});
