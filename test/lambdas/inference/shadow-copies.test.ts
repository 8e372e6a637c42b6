import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ShadowBatch, ShadowState } from '../../../contracts/shadow-test';
import { InferenceService } from '../../../lambdas/inference/inference-service';
import { ShadowCopies, type ShadowSender } from '../../../lambdas/inference/shadow-copies';
import { InferenceMetrics } from '../../../lambdas/inference/telemetry';
import { emfOutput } from '../../helpers/emf-output';
import { loadFixture } from './fixtures';

const fixture = loadFixture('fraud-gbt');
const SHADOW: ShadowState = { version: 2, samplePercent: 100, startedAt: '2026-12-03T10:00:00.000Z', startedBy: 'dev@example.com' };

/** A sender that keeps what it is given, or fails every send. */
function recordingSender(fail = false): ShadowSender & { batches: ShadowBatch[] } {
  const batches: ShadowBatch[] = [];
  return {
    batches,
    send: async (batch) => {
      if (fail) throw new Error('shadow function throttled');
      batches.push(structuredClone(batch));
    },
  };
}

function service(shadow?: ShadowCopies) {
  return new InferenceService({
    source: { model: 'card-fraud', version: 1, load: async () => ({ ...fixture, model: 'card-fraud', version: 1, artifactUri: 'fixture', artifactSha256: '' }) },
    metrics: new InferenceMetrics(new Metrics({ namespace: 'MLOps/test' }), 'card-fraud', 1),
    shadow,
  });
}

const body = JSON.stringify({ instances: fixture.expected.rows.slice(0, 5) });
const post = (s: InferenceService, requestId: string, extra: { captureOptOut?: boolean } = {}) =>
  s.handle({ method: 'POST', path: '/invocations', body, requestId, ...extra });

describe('ShadowCopies in the inference service', () => {
  // The services' metric documents go to the helper, not the test output.
  beforeEach(() => void emfOutput());
  afterEach(() => vi.restoreAllMocks());

  it('answers byte for byte as without a shadow, and sends the rows with their live answers at the flush', async () => {
    // GIVEN one service without a shadow and one whose shadow state says v2 at 100%
    const sender = recordingSender();
    const copies = new ShadowCopies('card-fraud', { current: async () => SHADOW }, sender);
    const plain = service();
    const shadowed = service(copies);
    await shadowed.flush(); // the first flush reads the state
    // WHEN the same request reaches both
    const [a, b] = await Promise.all([post(plain, 'req-1'), post(shadowed, 'req-1')]);
    // THEN the answers are identical
    expect(b).toEqual(a);
    expect(b.statusCode).toBe(200);
    // AND the flush sends the request's rows, in the live model's feature order, with the live answers
    await shadowed.flush();
    expect(sender.batches).toHaveLength(1);
    const [batch] = sender.batches;
    expect(batch).toMatchObject({ kind: 'mlops-shadow-batch', model: 'card-fraud', liveVersion: 1, shadowVersion: 2, featureNames: fixture.metadata.features.map((f) => f.name) });
    expect(batch.requests).toHaveLength(1);
    const answers = JSON.parse(a.body).predictions as { label: unknown; probabilities: number[] }[];
    expect(batch.requests[0].rows.map((r) => r.features)).toEqual(fixture.expected.rows.slice(0, 5).map((row) => row.map((v) => Math.fround(v))));
    expect(batch.requests[0].rows.map((r) => r.live.label)).toEqual(answers.map((p) => p.label));
    batch.requests[0].rows.forEach((r, i) => expect(r.live.prediction).toBeCloseTo(answers[i].probabilities[1], 5));
  });

  it('never fails a request when the shadow refuses every batch or the state cannot be read', async () => {
    // GIVEN a shadow whose sends fail, and whose state read fails after the first
    let reads = 0;
    const copies = new ShadowCopies(
      'card-fraud',
      {
        current: async () => {
          if (reads++ > 0) throw new Error('registry unreachable');
          return SHADOW;
        },
      },
      recordingSender(true),
      { refreshMs: 0 },
    );
    const s = service(copies);
    await s.flush();
    // WHEN requests are answered and flushed
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => post(s, `r${i}`)));
    const result = await copies.flush();
    // THEN every request succeeded; the copies count as failed and the state error is reported, not thrown
    expect(answers.map((x) => x.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(result).toMatchObject({ sent: 0, failed: 5, dropped: 0 });
    expect(result.stateError?.message).toBe('registry unreachable');
  });

  it('stops copying once the state says no shadow, and drops copies taken before it learnt so', async () => {
    let state: ShadowState | undefined = SHADOW;
    const sender = recordingSender();
    const copies = new ShadowCopies('card-fraud', { current: async () => state }, sender, { refreshMs: 0 });
    const s = service(copies);
    await s.flush();
    await post(s, 'before-stop');
    state = undefined; // stopped (approved, rejected or by command)
    await s.flush();
    await post(s, 'after-stop');
    await s.flush();
    expect(sender.batches).toEqual([]);
    expect(copies.sample()).toBe(false);
  });

  it('does not copy requests that opt out of capture (the holdout check)', async () => {
    const sender = recordingSender();
    const s = service(new ShadowCopies('card-fraud', { current: async () => SHADOW }, sender));
    await s.flush();
    await post(s, 'holdout', { captureOptOut: true });
    await s.flush();
    expect(sender.batches).toEqual([]);
  });

  it('splits copies into events under the size limit and drops beyond the buffer, counting them', async () => {
    const sender = recordingSender();
    const copies = new ShadowCopies('card-fraud', { current: async () => SHADOW }, sender, { maxEventBytes: 600, maxBufferedRequests: 6 });
    await copies.flush();
    const request = (i: number) => ({ requestId: `r${i}`, at: '2026-12-03T10:00:00.000Z', rows: [{ features: Array.from({ length: 9 }, (_, f) => f + i / 7), live: { prediction: 0.25, label: 0 } }] });
    for (let i = 0; i < 8; i++) copies.add(1, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'], request(i));
    const result = await copies.flush();
    expect(result).toMatchObject({ sent: 6, failed: 0, dropped: 2 });
    expect(sender.batches.length).toBeGreaterThan(1);
    expect(sender.batches.every((b) => JSON.stringify(b).length <= 600)).toBe(true);
    expect(sender.batches.flatMap((b) => b.requests.map((r) => r.requestId))).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
  });

  it('reads the shadow state while the model loads (warmUp): the first request is copied, and its flush reads nothing', async () => {
    let reads = 0;
    const sender = recordingSender();
    const s = service(new ShadowCopies('card-fraud', { current: async () => (reads++, SHADOW) }, sender));
    s.warmUp();
    await post(s, 'first');
    await s.flush();
    expect(reads).toBe(1);
    expect(sender.batches.flatMap((b) => b.requests.map((r) => r.requestId))).toEqual(['first']);
  });

  it('copies nothing for a shadow of the version that is live (it went live since the state was read)', async () => {
    const sender = recordingSender();
    const s = service(new ShadowCopies('card-fraud', { current: async () => ({ ...SHADOW, version: 1 }) }, sender));
    await s.flush();
    await post(s, 'r');
    await s.flush();
    expect(sender.batches).toEqual([]);
  });
});
