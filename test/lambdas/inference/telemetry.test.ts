import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InferenceMetrics, MAX_LATENCY_SAMPLES } from '../../../lambdas/inference/telemetry';
import { emfOutput } from '../../helpers/emf-output';

/** Metrics on a clock the test sets; `serve(latency)` records one successful request that took `latency` ms. */
function timedMetrics() {
  let now = 0;
  let readings = 0;
  const metrics = new InferenceMetrics(new Metrics({ namespace: 'MLOps/test' }), 'card-fraud', 1, () => {
    readings++;
    return now;
  });
  const serve = (latencyMs: number) => {
    now = 0;
    const started = metrics.startRequest();
    now = latencyMs;
    metrics.recordSuccess(started, 1, 0);
  };
  return { metrics, serve, readings: () => readings };
}

const latencyValues = (documents: Record<string, unknown>[]) => documents.flatMap((d) => (d.InvocationLatency === undefined ? [] : [d.InvocationLatency].flat() as number[]));

describe('InferenceMetrics', () => {
  afterEach(() => vi.restoreAllMocks());

  it('publishes every latency of a quiet interval', () => {
    // GIVEN fewer requests than the sample size
    const documents = emfOutput();
    const { metrics, serve } = timedMetrics();
    const latencies = Array.from({ length: 250 }, (_, i) => i / 10);
    for (const latency of latencies) serve(latency);

    // WHEN the interval is flushed
    metrics.publish();

    // THEN each latency is published once, and the count covers every request
    expect(latencyValues(documents()).sort((a, b) => a - b)).toEqual(latencies);
    expect(documents()[0]).toMatchObject({ Invocations: 250, Predictions: 250 });
  });

  it('publishes a uniform sample of a busy interval\'s latencies, with exact counts', () => {
    // GIVEN ten times more requests than the sample size, latencies 0..9999 ms
    const documents = emfOutput();
    const { metrics, serve } = timedMetrics();
    const requests = 10 * MAX_LATENCY_SAMPLES;
    for (let i = 0; i < requests; i++) serve(i);

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
    serve(5);
    metrics.publish();
    expect(documents().at(-1)).toMatchObject({ Invocations: 1, InvocationLatency: 5 });
  });

  it('reads the clock only for the latencies it keeps', () => {
    // GIVEN metrics on a clock that counts its readings
    emfOutput();
    const { serve, readings } = timedMetrics();

    // WHEN ten times more requests than the sample size end in one interval
    const requests = 10 * MAX_LATENCY_SAMPLES;
    for (let i = 0; i < requests; i++) serve(i);

    // THEN the first MAX_LATENCY_SAMPLES are timed (two readings each), later ones only when kept: the expected count
    // is 2 × MAX_LATENCY_SAMPLES × (1 + ln 10) ≈ 6,600 readings for 10,000 requests
    expect(readings()).toBeGreaterThan(5.6 * MAX_LATENCY_SAMPLES);
    expect(readings()).toBeLessThan(7.6 * MAX_LATENCY_SAMPLES);
  });

  it('publishes each model load time once, in milliseconds, with the model and version dimensions', () => {
    // GIVEN an interval in which the model loaded (a cold start) and no request was served yet
    const documents = emfOutput();
    const { metrics } = timedMetrics();
    metrics.recordModelLoad(412.5);
    expect(metrics.pending).toBe(true);

    // WHEN the interval is flushed, twice
    metrics.publish();
    metrics.publish();

    // THEN one document carries the load time, as Milliseconds under [Model] and [Model, ModelVersion]; the next none
    const [document, ...rest] = documents();
    expect(rest).toEqual([]);
    expect(document).toMatchObject({ Model: 'card-fraud', ModelVersion: '1', ModelLoadTime: 412.5 });
    const [directive] = (document._aws as { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] }).CloudWatchMetrics;
    expect(directive.Dimensions).toEqual([['Model'], ['Model', 'ModelVersion']]);
    expect(directive.Metrics).toContainEqual({ Name: 'ModelLoadTime', Unit: 'Milliseconds' });
    expect(metrics.pending).toBe(false);
  });

  it('publishes ClassPredictions per predicted class, summed over the interval, and starts the next interval afresh', () => {
    // GIVEN two multiclass requests
    const documents = emfOutput();
    const { metrics } = timedMetrics();
    metrics.recordClasses(['setosa', 'versicolor', 'virginica'], [2, 0, 1]);
    metrics.recordClasses(['setosa', 'versicolor', 'virginica'], [1, 0, 4]);

    // WHEN the interval is flushed, twice
    metrics.publish();
    metrics.publish();

    // THEN one document per predicted class, dimensions [Model, Class]; none for a class never predicted, none again
    const perClass = documents().filter((d) => 'ClassPredictions' in d);
    expect(perClass.map((d) => [d.Model, d.Class, d.ClassPredictions])).toEqual([
      ['card-fraud', 'setosa', 3],
      ['card-fraud', 'virginica', 5],
    ]);
    expect(perClass.map((d) => (d._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0].Dimensions)).toEqual([
      [['Model', 'Class']],
      [['Model', 'Class']],
    ]);
  });
});
