import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baselineSchema } from '../../../contracts/baseline';
import { computeBaseline } from '../../../lambdas/drift/baseline';
import { BaselineObjectError, decodeSortedValues, encodeSortedValues, readSortedValues, writeBaseline } from '../../../lambdas/drift/baseline-objects';
import { sortedCopy } from '../../../lambdas/drift/statistics/ks';
import { startS3rver, type LocalS3 } from '../../helpers/s3rver';

const refOf = (sorted: Float64Array) => {
  const { body, sha256 } = encodeSortedValues(sorted);
  return { body, ref: { path: 'baseline/x.f64', count: sorted.length, sha256 } };
};

describe('sorted-values objects', () => {
  it('round-trip any ascending doubles bit for bit, -0 and infinities included', () => {
    const value = fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(-0, 0, Infinity, -Infinity));
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 3000 }), (values) => {
        const sorted = sortedCopy(values);
        const { body, ref } = refOf(sorted);
        expect(body.byteLength).toBe(8 * sorted.length);
        const decoded = decodeSortedValues(body, ref, 's3://b/baseline/x.f64');
        expect(Array.from(decoded).every((v, i) => Object.is(v, sorted[i]))).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('are little-endian doubles, nothing else', () => {
    const { body } = encodeSortedValues(Float64Array.from([1, 2]));
    expect(Buffer.from(body).toString('hex')).toBe('000000000000f03f0000000000000040');
  });

  it('refuse bytes whose SHA-256, size or order is not what baseline.json records, naming the object', () => {
    const { body, ref } = refOf(Float64Array.from([1, 2, 3]));
    const uri = 's3://artifacts/runs/r1/processed/baseline/x.f64';
    const tampered = Uint8Array.from(body);
    tampered[8] ^= 1;
    expect(() => decodeSortedValues(tampered, ref, uri)).toThrow(BaselineObjectError);
    expect(() => decodeSortedValues(tampered, ref, uri)).toThrow(`baseline object ${uri} has SHA-256 `);
    expect(() => decodeSortedValues(body.subarray(0, 16), ref, uri)).toThrow(
      `baseline object ${uri} has 16 bytes; baseline.json records 3 values (24 bytes)`,
    );
    // A writer that broke the format: the hash matches what it wrote, the order does not hold.
    const unsorted = refOf(Float64Array.from([1, 3, 2]));
    expect(() => decodeSortedValues(unsorted.body, unsorted.ref, uri)).toThrow(`baseline object ${uri} is not ascending at index 2 (3, then 2)`);
    const withNaN = refOf(Float64Array.from([1, NaN]));
    expect(() => decodeSortedValues(withNaN.body, withNaN.ref, uri)).toThrow(`baseline object ${uri} is not ascending at index 1 (1, then NaN)`);
  });
});

describe('reading a baseline\'s sorted values', () => {
  let s3: LocalS3;
  beforeAll(async () => {
    s3 = await startS3rver(['artifacts']);
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it('reads the named numeric features\' objects beside baseline.json, as computed', async () => {
    // GIVEN a baseline written as the processing job writes it
    const artifacts = computeBaseline([
      { name: 'amount', type: 'numeric', values: [5, -2, 0.5, 7] },
      { name: 'hour/of day', type: 'numeric', values: [3, 1, 2, 2] },
      { name: 'channel', type: 'categorical', values: [0, 1, 0, 1] },
    ]);
    await writeBaseline((key, body) => s3.put('artifacts', key, body), 'runs/r1/processed/baseline.json', artifacts);
    const baseline = baselineSchema.parse(artifacts.document);
    // WHEN
    const values = await readSortedValues(s3.client, 's3://artifacts/runs/r1/processed/baseline.json', baseline, ['hour/of day', 'amount', 'channel']);
    // THEN
    expect([...values.keys()].sort()).toEqual(['amount', 'hour/of day']);
    expect(Array.from(values.get('amount')!)).toEqual([-2, 0.5, 5, 7]);
    expect(Array.from(values.get('hour/of day')!)).toEqual([1, 2, 2, 3]);
  });

  it('refuses a baseline.json whose object is missing, naming it', async () => {
    const artifacts = computeBaseline([{ name: 'amount', type: 'numeric', values: [1, 2] }]);
    await s3.put('artifacts', 'runs/r2/processed/baseline.json', JSON.stringify(artifacts.document));
    const read = readSortedValues(s3.client, 's3://artifacts/runs/r2/processed/baseline.json', artifacts.document, ['amount']);
    await expect(read).rejects.toThrow(
      new BaselineObjectError('s3://artifacts/runs/r2/processed/baseline/amount.f64', 'is missing; baseline.json refers to it'),
    );
  });
});
