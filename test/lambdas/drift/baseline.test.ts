import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeBaseline, targetBaseline } from '../../../lambdas/drift/baseline';
import { baselineSchema } from '../../../contracts/baseline';
import { baselineValuesPath } from '../../../contracts/storage-layout';

describe('training label class distribution in the baseline', () => {
  it('counts each class index under its class label, every class keyed', () => {
    expect(targetBaseline('fault', [0, 2, 2, 0, 2], ['normal', 'bearing_wear', 'imbalance'])).toEqual({
      name: 'fault',
      counts: { normal: 2, bearing_wear: 0, imbalance: 3 },
    });
    expect(targetBaseline('is_fraud', [1, 0, 0], [0, 1])).toEqual({ name: 'is_fraud', counts: { '0': 2, '1': 1 } });
  });

  it('refuses a label that is not a class index, naming the row', () => {
    expect(() => targetBaseline('fault', [0, 3], ['a', 'b', 'c'])).toThrow('label "fault": row 1 is not a class index 0..2 (3)');
  });

  it('is optional: a baseline written before it existed still parses', () => {
    const { document } = computeBaseline([{ name: 'x', type: 'numeric', values: [1, 2, 3] }]);
    expect(baselineSchema.parse(document).target).toBeUndefined();
    const withTarget = { ...document, target: targetBaseline('y', [0, 1, 1], [0, 1]) };
    expect(baselineSchema.parse(JSON.parse(JSON.stringify(withTarget)))).toEqual(withTarget);
  });
});

describe('numeric features\' sorted values beside baseline.json', () => {
  it('stores every value sorted once, as little-endian doubles, and records path, count and SHA-256', () => {
    // GIVEN a numeric and a categorical feature
    const values = [3.5, -1, 2, -0, 2, 7];
    // WHEN
    const { document, objects } = computeBaseline([
      { name: 'amount (€)', type: 'numeric', values },
      { name: 'channel', type: 'categorical', values: [0, 1, 1, 0, 1, 1] },
    ]);
    // THEN one object, for the numeric feature, named by its URI-encoded name
    expect(document.formatVersion).toBe(2);
    expect(objects.map((o) => o.path)).toEqual([baselineValuesPath('amount (€)')]);
    expect(objects[0].path).toBe('baseline/amount%20(%E2%82%AC).f64');
    const stored = Array.from(new Float64Array(Uint8Array.from(objects[0].body).buffer));
    expect(stored).toEqual([-1, -0, 2, 2, 3.5, 7]);
    expect(document.features[0]).toMatchObject({
      count: 6,
      sortedValues: { path: objects[0].path, count: 6, sha256: createHash('sha256').update(objects[0].body).digest('hex') },
    });
    expect(baselineSchema.parse(JSON.parse(JSON.stringify(document)))).toEqual(document);
  });

  it('thins above the cap to evenly spaced order statistics', () => {
    // GIVEN 10 values and a cap of 4
    const { document, objects } = computeBaseline([{ name: 'x', type: 'numeric', values: [9, 8, 7, 6, 5, 4, 3, 2, 1, 0] }], { sortedValuesCap: 4 });
    // THEN ranks floor((i + 0.5) * 10 / 4) = 1, 3, 6, 8 of the sorted values
    expect(Array.from(new Float64Array(Uint8Array.from(objects[0].body).buffer))).toEqual([1, 3, 6, 8]);
    expect(document.features[0]).toMatchObject({ count: 10, sortedValues: { count: 4 } });
  });

  it('keeps up to 1,000,000 values by default', () => {
    const values = Float64Array.from({ length: 1_000_001 }, (_, i) => 1_000_000 - i);
    const { document, objects } = computeBaseline([{ name: 'x', type: 'numeric', values }]);
    expect(document.features[0]).toMatchObject({ count: 1_000_001, sortedValues: { count: 1_000_000 } });
    expect(objects[0].body.byteLength).toBe(8_000_000);
  });

  it('refuses a bad cap and two features of one name', () => {
    expect(() => computeBaseline([{ name: 'x', type: 'numeric', values: [1] }], { sortedValuesCap: 0 })).toThrow(
      'sortedValuesCap must be a positive integer, got 0',
    );
    const twice = { name: 'x', type: 'numeric', values: [1] } as const;
    expect(() => computeBaseline([twice, twice])).toThrow('feature "x" appears twice');
  });
});
