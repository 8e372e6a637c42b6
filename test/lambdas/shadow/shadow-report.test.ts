import { describe, expect, it } from 'vitest';
import type { ShadowRecord } from '../../../contracts/shadow-test';
import { PSI_EPSILON } from '../../../lambdas/drift/statistics/psi';
import { shadowReport } from '../../../lambdas/shadow/shadow-report';

const window = { start: new Date('2026-12-03T09:00:00Z'), end: new Date('2026-12-03T10:00:00Z') };
const base = { model: 'card-fraud', liveVersion: 1, shadowVersion: 2, at: '2026-12-03T09:30:00.000Z' };

describe('shadowReport', () => {
  it('agrees with a computation by hand: agreement, mean absolute difference, PSI against live decile bins, latency per request, errors', () => {
    // GIVEN 100 answered rows, two per request: live 0.00..0.99 (one per live decile bin ten times), the shadow 0 for
    // all (the lowest bin), labels that agree on 80 rows; request k took k+1 ms; and 3 rows the shadow failed
    const answered: ShadowRecord[] = Array.from({ length: 100 }, (_, i) => ({
      ...base,
      requestId: `r${Math.floor(i / 2)}`,
      live: { prediction: i / 100, label: i < 50 ? 0 : 1 },
      shadow: { prediction: 0, label: i < 70 ? 0 : 1 }, // rows 50..69 disagree (live 1, shadow 0)
      latencyMs: Math.floor(i / 2) + 1,
    }));
    const failed: ShadowRecord[] = Array.from({ length: 3 }, (_, i) => ({ ...base, requestId: `f${i}`, live: { prediction: 0.5, label: 1 }, error: 'the shadow failed: boom', latencyMs: 0 }));

    // WHEN the report is made
    const report = shadowReport([...answered, ...failed], window, { liveVersion: 1, shadowVersion: 2 });

    // THEN every figure is the hand computation's
    const meanLive = answered.reduce((s, r) => s + r.live.prediction, 0) / 100;
    const psi = (1 - 0.1) * Math.log(1 / 0.1) + 9 * (PSI_EPSILON - 0.1) * Math.log(PSI_EPSILON / 0.1);
    expect(report).toEqual({
      liveVersion: 1,
      shadowVersion: 2,
      windowStart: '2026-12-03T09:00:00.000Z',
      windowEnd: '2026-12-03T10:00:00.000Z',
      rows: 103,
      errors: 3,
      agreementRate: 0.8,
      meanAbsoluteDifference: expect.closeTo(meanLive, 12),
      predictionPsi: expect.closeTo(psi, 9),
      // 50 requests taking 1..50 ms: numpy's linear percentiles
      latencyP50Ms: 25.5,
      latencyP99Ms: expect.closeTo(1 + 49 * 0.99, 9),
    });
  });

  it('has no agreement for a regressor (no labels) and no figures but the counts when nothing was answered', () => {
    const regression: ShadowRecord[] = [0.5, 2.5].map((value, i) => ({ ...base, requestId: `r${i}`, live: { prediction: value }, shadow: { prediction: value + 1 }, latencyMs: 4 }));
    expect(shadowReport(regression, window, { liveVersion: 1, shadowVersion: 2 })).toMatchObject({ agreementRate: null, meanAbsoluteDifference: 1, latencyP50Ms: 4 });
    const nothing = shadowReport([{ ...base, requestId: 'f', live: { prediction: 0.1, label: 0 }, error: 'model v2 not loaded: gone', latencyMs: 0 }], window, { liveVersion: null, shadowVersion: 2 });
    expect(nothing).toMatchObject({ liveVersion: null, rows: 1, errors: 1, agreementRate: null, meanAbsoluteDifference: null, predictionPsi: null, latencyP50Ms: null, latencyP99Ms: null });
  });
});
