import { describe, expect, it } from 'vitest';
import { computeBaseline, targetBaseline } from '../../../lambdas/drift/baseline';
import { baselineSchema } from '../../../contracts/baseline';

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
    const features = computeBaseline([{ name: 'x', type: 'numeric', values: [1, 2, 3] }]);
    expect(baselineSchema.parse(features).target).toBeUndefined();
    const withTarget = { ...features, target: targetBaseline('y', [0, 1, 1], [0, 1]) };
    expect(baselineSchema.parse(JSON.parse(JSON.stringify(withTarget)))).toEqual(withTarget);
  });
});
