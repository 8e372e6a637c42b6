import { Metrics } from '@aws-lambda-powertools/metrics';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { InferenceService } from '../../../lambdas/inference/inference-service';
import { InferenceMetrics } from '../../../lambdas/inference/telemetry';
import { loadFixture } from './fixtures';

const fixture = loadFixture('fraud-gbt');
const names = fixture.metadata.features.map((f) => f.name);
let service: InferenceService;

beforeAll(() => {
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  service = new InferenceService({
    source: { model: 'card-fraud', version: 1, load: async () => ({ ...fixture, model: 'card-fraud', version: 1, artifactUri: 'fixture', artifactSha256: '' }) },
    metrics: new InferenceMetrics(new Metrics({ namespace: 'MLOps/test' }), 'card-fraud', 1),
    limits: { maxBodyBytes: 64 * 1024, maxInstances: 100 },
  });
});
afterAll(() => vi.restoreAllMocks());

/** Values a client might send where a number belongs, including the JSON spellings of non-finite numbers. */
const oddValue = fc.oneof(
  fc.double(),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e999', '', '0x10', ' 1 '),
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.double(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }),
);
const row = fc.oneof(
  fc.array(oddValue, { maxLength: 12 }),
  fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 9, maxLength: 9 }),
  fc.dictionary(fc.oneof(fc.constantFrom(...names), fc.string()), oddValue, { maxKeys: 11 }),
  fc.record(Object.fromEntries(names.map((n) => [n, fc.double({ noNaN: true, noDefaultInfinity: true })]))),
  oddValue,
);
/** Bodies: JSON of envelopes with odd rows, arbitrary JSON, and raw text (cut JSON, numbers written as NaN). */
const body = fc.oneof(
  fc.record({ instances: fc.array(row, { maxLength: 20 }) }).map((v) => JSON.stringify(v)),
  fc.record({ instances: fc.array(row, { maxLength: 5 }) }).map((v) => JSON.stringify(v).replace(/"(NaN|Infinity|-Infinity)"/g, '$1')),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.jsonValue().map((v) => JSON.stringify({ instances: v })),
  fc.string({ maxLength: 200 }),
  fc.record({ instances: fc.array(row, { maxLength: 5 }) }).chain((v) => fc.nat(JSON.stringify(v).length).map((cut) => JSON.stringify(v).slice(0, cut))),
);

async function expectNoServerError(request: Parameters<InferenceService['handle']>[0]): Promise<void> {
  const response = await service.handle(request);
  expect(response.statusCode === 200 || (response.statusCode >= 400 && response.statusCode < 500)).toBe(true);
  const parsed = JSON.parse(response.body) as { message?: string; predictions?: unknown[] };
  if (response.statusCode !== 200) expect(parsed.message).toEqual(expect.any(String));
}

describe('fuzzed requests', () => {
  it('never crash the service or produce a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(body, fc.boolean(), async (text, base64) => {
        await expectNoServerError({
          method: 'POST',
          path: '/invocations',
          body: base64 ? Buffer.from(text).toString('base64') : text,
          isBase64Encoded: base64,
          requestId: 'fuzz',
        });
      }),
      { numRuns: 3000 },
    );
  });

  it('answer valid rows with one finite prediction each', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 9, maxLength: 9 }), { minLength: 1, maxLength: 50 }), async (rows) => {
        const response = await service.handle({ method: 'POST', path: '/invocations', body: JSON.stringify({ instances: rows }), requestId: 'fuzz' });
        expect(response.statusCode).toBe(200);
        const { predictions } = JSON.parse(response.body) as { predictions: { probabilities: number[] }[] };
        expect(predictions).toHaveLength(rows.length);
        for (const p of predictions) expect(p.probabilities.every(Number.isFinite)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('refuse huge bodies (also deeply nested and base64 ones) with 413 before parsing', async () => {
    const parse = vi.spyOn(JSON, 'parse');
    for (const huge of ['[' .repeat(70_000), `{"instances": [${'[1,2,3,4,5,6,7,8,9],'.repeat(4000)}]}`, 'x'.repeat(1024 * 1024)]) {
      for (const base64 of [false, true]) {
        const response = await service.handle({ method: 'POST', path: '/invocations', body: base64 ? Buffer.from(huge).toString('base64') : huge, isBase64Encoded: base64, requestId: 'huge' });
        expect(response.statusCode).toBe(413);
      }
    }
    expect(parse).not.toHaveBeenCalled();
    parse.mockRestore();
  });

  it('survive deep nesting within the size limit', async () => {
    const response = await service.handle({ method: 'POST', path: '/invocations', body: `{"instances": ${'['.repeat(30_000)}${']'.repeat(30_000)}}`, requestId: 'deep' });
    expect(response.statusCode).toBe(400);
  });
});
