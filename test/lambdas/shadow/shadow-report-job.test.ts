import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ShadowRecord, shadowObjectKey } from '../../../contracts/shadow-test';
import type { ModelRegistry } from '../../../lambdas/registry/registry';
import { runShadowReport } from '../../../lambdas/shadow/shadow-report-job';
import { shadowReport } from '../../../lambdas/shadow/shadow-report';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { emfOutput } from '../../helpers/emf-output';
import { type LocalS3, startS3rver } from '../../helpers/s3rver';
import { by, registration, registryOn } from '../registry/fixtures';

let dynamo: LocalDynamo;
let s3: LocalS3;
let registry: ModelRegistry;

/** GIVEN card-fraud v1 live and v2 pending in shadow, in dynalite and s3rver. */
beforeAll(async () => {
  [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
  registry = registryOn(dynamo);
  for (const n of [1, 2]) await registry.register(registration('card-fraud', n), 'pipeline:test');
  await registry.approve('card-fraud', 1, by('alice'));
  await registry.beginDeployment('card-fraud', 1, by('deployment'), 'd-1');
  await registry.finalizeDeployment('card-fraud', 1, by('deployment'));
  await registry.startShadow('card-fraud', 2, by('dev'), 100);
}, 60_000);
afterAll(async () => Promise.all([dynamo.stop(), s3.stop()]));
afterEach(() => vi.restoreAllMocks());

const record = (at: string, i: number, failed = false): ShadowRecord => ({
  model: 'card-fraud',
  liveVersion: 1,
  shadowVersion: 2,
  requestId: `r${i}`,
  at,
  live: { prediction: i / 10, label: i % 2 },
  ...(failed ? { error: 'the shadow failed: boom' } : { shadow: { prediction: i / 10 + 0.05, label: i % 3 === 0 ? 1 : i % 2 } }),
  latencyMs: i + 1,
});

async function put(at: Date, records: ShadowRecord[], id: string) {
  await s3.put(s3.bucket, shadowObjectKey('card-fraud', 2, at, id), records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

function deps() {
  const metrics = new Metrics({ namespace: 'MLOps/test' });
  metrics.clearDefaultDimensions();
  return { s3: s3.client, registry, bucket: s3.bucket, model: 'card-fraud', metrics };
}

describe('runShadowReport', () => {
  it('reports the hour before its time from the rows in both hour folders, on the version in the registry and as metrics per shadow version', async () => {
    // GIVEN rows in the 09h and 10h folders, one row before the window, one after it
    const inWindow = [record('2026-12-03T09:45:00.000Z', 1), record('2026-12-03T09:50:00.000Z', 2, true), record('2026-12-03T10:10:00.000Z', 6)];
    await put(new Date('2026-12-03T09:45:00Z'), [record('2026-12-03T09:10:00.000Z', 9), ...inWindow.slice(0, 2)], 'a');
    await put(new Date('2026-12-03T10:10:00Z'), [inWindow[2], record('2026-12-03T10:20:00.000Z', 8)], 'b');
    const documents = emfOutput();

    // WHEN the report runs at 10:15
    const outcome = await runShadowReport(deps(), new Date('2026-12-03T10:15:00Z'));

    // THEN it is the pure report of the window's rows
    const expected = shadowReport(inWindow, { start: new Date('2026-12-03T09:15:00Z'), end: new Date('2026-12-03T10:15:00Z') }, { liveVersion: 1, shadowVersion: 2 });
    expect(outcome).toEqual({ status: 'reported', report: expected });
    expect(expected).toMatchObject({ rows: 3, errors: 1, agreementRate: 0.5 });
    expect((await registry.getVersion('card-fraud', 2)).shadowReports?.at(-1)).toEqual(expected);
    expect(documents().at(-1)).toMatchObject({ Model: 'card-fraud', ShadowVersion: '2', ShadowRows: 3, ShadowErrors: 1, ShadowAgreementRate: 0.5 });
  });

  it('reports an hour with no rows (0 rows, no figures), names a malformed line, and reports nothing without a shadow', async () => {
    expect(await runShadowReport(deps(), new Date('2026-12-03T14:30:00Z'))).toMatchObject({ report: { rows: 0, errors: 0, agreementRate: null, latencyP99Ms: null } });
    await s3.put(s3.bucket, shadowObjectKey('card-fraud', 2, new Date('2026-12-03T16:00:00Z'), 'bad'), '{"model": "card-fraud"}\n');
    await expect(runShadowReport(deps(), new Date('2026-12-03T16:30:00Z'))).rejects.toThrow(
      expect.objectContaining({ name: 'ShadowRecordError', message: expect.stringMatching(/2026-12-03T16\/bad\.jsonl line 1: not a shadow record/) }),
    );
    await registry.stopShadow('card-fraud', by('dev'));
    expect(await runShadowReport(deps(), new Date())).toEqual({ status: 'no-shadow', model: 'card-fraud' });
     // The schedule starts with the stack: before the first version is registered there is no model, and no failure.
    expect(await runShadowReport({ ...deps(), model: 'not-registered-yet' }, new Date())).toEqual({ status: 'no-shadow', model: 'not-registered-yet' });
  });
});
