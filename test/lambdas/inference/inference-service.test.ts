import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InferenceService } from '../../../lambdas/inference/inference-service';
import { InferenceMetrics } from '../../../lambdas/inference/telemetry';
import { emfOutput } from '../../helpers/emf-output';
import { loadFixture } from './fixtures';

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
