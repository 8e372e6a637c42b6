import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ShadowBatch, type ShadowRecord, shadowPrefix } from '../../../contracts/shadow-test';
import { sha256Hex } from '../../../lambdas/inference/model-store';
import { ModelSession } from '../../../lambdas/inference/model-session';
import { readModelArchive } from '../../../lambdas/inference/model-archive';
import { positiveProbability, predictedLabel } from '../../../lambdas/inference/predict';
import { DynamoRegistryStore } from '../../../lambdas/registry/dynamodb-store';
import { ShadowBatchError, ShadowInference } from '../../../lambdas/shadow/shadow-inference';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { type LocalS3, startS3rver } from '../../helpers/s3rver';
import { fixtureArchive, loadFixture } from '../inference/fixtures';
import { by, registration, registryOn } from '../registry/fixtures';

const fixture = loadFixture('fraud-gbt');
const featureNames = fixture.metadata.features.map((f) => f.name);
let dynamo: LocalDynamo;
let s3: LocalS3;

/** GIVEN card-fraud v1 live and v2 pending, both the fraud-gbt archive, in dynalite and s3rver. */
beforeAll(async () => {
  [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
  const registry = registryOn(dynamo);
  const archive = fixtureArchive('fraud-gbt');
  await s3.put(s3.bucket, 'models/fraud.tar.gz', archive);
  for (const n of [1, 2, 3]) await registry.register(registration('card-fraud', n, { artifactUri: `s3://${s3.bucket}/models/fraud.tar.gz`, artifactSha256: sha256Hex(archive) }), 'pipeline:test');
  await registry.approve('card-fraud', 1, by('alice'));
  await registry.beginDeployment('card-fraud', 1, by('deployment'), 'd-1');
  await registry.finalizeDeployment('card-fraud', 1, by('deployment'));
  await registry.reject('card-fraud', 3, by('alice', 'no'));
}, 60_000);
afterAll(async () => Promise.all([dynamo.stop(), s3.stop()]));

const shadowOf = () =>
  new ShadowInference({ s3: s3.client, registry: new DynamoRegistryStore(dynamo.documentClient, dynamo.tableName), bucket: s3.bucket, model: 'card-fraud' });

const batch = (overrides: Partial<ShadowBatch> = {}): ShadowBatch => ({
  kind: 'mlops-shadow-batch',
  model: 'card-fraud',
  liveVersion: 1,
  shadowVersion: 2,
  featureNames,
  requests: [
    { requestId: 'a', at: '2026-12-03T09:29:00.000Z', rows: fixture.expected.rows.slice(0, 3).map((features) => ({ features, live: { prediction: 0.5, label: 1 } })) },
    { requestId: 'b', at: '2026-12-03T09:29:01.000Z', rows: fixture.expected.rows.slice(3, 4).map((features) => ({ features, live: { prediction: 0.5, label: 1 } })) },
  ],
  ...overrides,
});

async function linesOf(key: string): Promise<ShadowRecord[]> {
  const text = await (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToString();
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as ShadowRecord);
}

describe('ShadowInference', () => {
  it('answers a pending version with the model session and writes each row beside its live answer, under the hour folder', async () => {
    const result = await shadowOf().run(batch(), 'invocation-1');
    expect(result).toMatchObject({ key: `${shadowPrefix('card-fraud', 2)}2026-12-03T09/invocation-1.jsonl`, rows: 4, errors: 0 });
    expect(result.key.startsWith(`${shadowPrefix('card-fraud', 2)}2026-12-03T09/`)).toBe(true);
    const records = await linesOf(result.key);
    // The same answers as the session gives the same rows, independently run
    const session = await ModelSession.create(readModelArchive(fixtureArchive('fraud-gbt'), 'fixture'));
    const output = await session.run(Float32Array.from(fixture.expected.rows.slice(0, 4).flat()), 4);
    expect(records.map((r) => r.shadow)).toEqual([0, 1, 2, 3].map((r) => ({ prediction: positiveProbability(output, r), label: predictedLabel(session, output, r) })));
    expect(records.map((r) => r.requestId)).toEqual(['a', 'a', 'a', 'b']);
    expect(records.every((r) => r.latencyMs > 0 && r.live.prediction === 0.5 && r.liveVersion === 1 && r.shadowVersion === 2)).toBe(true);
    await session.release();
  });

  it('maps features by name, and records an error for every row when the live requests lack one of them', async () => {
    const forwardBatch = batch();
    const reversed = batch({
      featureNames: [...featureNames].reverse(),
      requests: forwardBatch.requests.map((q) => ({ ...q, rows: q.rows.map((row) => ({ ...row, features: [...row.features].reverse() })) })),
    });
    const forward = await linesOf((await shadowOf().run(forwardBatch)).key);
    expect((await linesOf((await shadowOf().run(reversed)).key)).map((r) => r.shadow)).toEqual(forward.map((r) => r.shadow));
    const missing = batch({ featureNames: [...featureNames.slice(0, -1), 'other'] });
    const result = await shadowOf().run(missing);
    expect(result).toMatchObject({ rows: 4, errors: 4 });
    expect((await linesOf(result.key))[0].error).toBe(`the live requests lack the shadow's features ${featureNames.at(-1)}`);
  });

  it('records the load failure on every row for a version that may not load (rejected), and refuses another model', async () => {
    const result = await shadowOf().run(batch({ shadowVersion: 3 }));
    expect(result.errors).toBe(4);
    expect((await linesOf(result.key))[0].error).toMatch(/^model v3 not loaded: .*v3 is rejected/);
    await expect(shadowOf().run(batch({ model: 'churn' }))).rejects.toThrow(ShadowBatchError);
  });
});
