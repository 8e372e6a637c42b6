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
});
