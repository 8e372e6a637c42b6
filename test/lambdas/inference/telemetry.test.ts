import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InferenceMetrics, MAX_LATENCY_SAMPLES } from '../../../lambdas/inference/telemetry';
import { emfOutput } from '../../helpers/emf-output';

/** The metrics' clock stands at 0: a request of latency L started at -L. */
const atZero = () => new InferenceMetrics(new Metrics({ namespace: 'MLOps/test' }), 'card-fraud', 1, () => 0);
const startedBefore = (latencyMs: number) => -latencyMs;

const latencyValues = (documents: Record<string, unknown>[]) => documents.flatMap((d) => (d.InvocationLatency === undefined ? [] : [d.InvocationLatency].flat() as number[]));

describe('InferenceMetrics', () => {
  afterEach(() => vi.restoreAllMocks());

  it('publishes every latency of a quiet interval', () => {
    // GIVEN fewer requests than the sample size
    const documents = emfOutput();
    const metrics = atZero();
    const latencies = Array.from({ length: 250 }, (_, i) => i / 10);
    for (const latency of latencies) metrics.recordSuccess(startedBefore(latency), 1, 0);

    // WHEN the interval is flushed
    metrics.publish();

    // THEN each latency is published once, and the count covers every request
    expect(latencyValues(documents()).sort((a, b) => a - b)).toEqual(latencies);
    expect(documents()[0]).toMatchObject({ Invocations: 250, Predictions: 250 });
  });

  it('publishes a uniform sample of a busy interval\'s latencies, with exact counts', () => {
    // GIVEN ten times more requests than the sample size, latencies 0..9999 ms
    const documents = emfOutput();
    const metrics = atZero();
    const requests = 10 * MAX_LATENCY_SAMPLES;
    for (let i = 0; i < requests; i++) metrics.recordSuccess(startedBefore(i), 1, 0);

    // WHEN the interval is flushed
    metrics.publish();

    // THEN exactly MAX_LATENCY_SAMPLES distinct recorded values are published, spread over the whole range
    const values = latencyValues(documents());
    expect(values).toHaveLength(MAX_LATENCY_SAMPLES);
    expect(new Set(values).size).toBe(MAX_LATENCY_SAMPLES);
    expect(values.every((v) => Number.isInteger(v) && v >= 0 && v < requests)).toBe(true);
    const lateHalf = values.filter((v) => v >= requests / 2).length;
    // binomial(1000, 0.5): ±6 standard deviations
    expect(Math.abs(lateHalf - MAX_LATENCY_SAMPLES / 2)).toBeLessThan(95);
    expect(documents()[0]).toMatchObject({ Invocations: requests, Predictions: requests });

    // AND the next interval starts afresh
    metrics.recordSuccess(startedBefore(5), 1, 0);
    metrics.publish();
    expect(documents().at(-1)).toMatchObject({ Invocations: 1, InvocationLatency: 5 });
  });

  it('reads the clock only for the latencies it keeps', () => {
    // GIVEN a clock that counts its readings
    emfOutput();
    let readings = 0;
    const metrics = new InferenceMetrics(new Metrics({ namespace: 'MLOps/test' }), 'card-fraud', 1, () => {
      readings++;
      return 0;
    });

    // WHEN ten times more requests than the sample size end in one interval
    const requests = 10 * MAX_LATENCY_SAMPLES;
    for (let i = 0; i < requests; i++) metrics.recordSuccess(0, 1, 0);

    // THEN every one of the first MAX_LATENCY_SAMPLES is timed, and later ones only when kept: the expected count is
    // MAX_LATENCY_SAMPLES * (1 + ln 10) ≈ 3,300 readings, far fewer than one per request
    expect(readings).toBeGreaterThan(2.8 * MAX_LATENCY_SAMPLES);
    expect(readings).toBeLessThan(3.8 * MAX_LATENCY_SAMPLES);
  });
});
