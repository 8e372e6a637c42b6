import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { accuracy, auc, computeMetrics, f1, logLoss, mae, rmse } from '../../../pipelines/evaluation/metrics';

interface Fixture {
  classification: { name: string; labels: number[]; scores: number[]; expected: Record<string, number> }[];
  regression: { targets: number[]; predictions: number[]; expected: { rmse: number; mae: number } };
}
const fixture: Fixture = JSON.parse(readFileSync('test/fixtures/evaluation/metrics-sklearn.json', 'utf8'));

describe('metrics agree with scikit-learn', () => {
  it.each(fixture.classification)('$name', ({ labels, scores, expected }) => {
    const metrics = computeMetrics('binary-classification', labels, scores);
    for (const name of ['auc', 'accuracy', 'f1', 'logLoss']) expect(metrics[name]).toBeCloseTo(expected[name], 12);
  });

  it('regression', () => {
    const { targets, predictions, expected } = fixture.regression;
    expect(computeMetrics('regression', targets, predictions)).toEqual({
      rmse: expect.closeTo(expected.rmse, 12),
      mae: expect.closeTo(expected.mae, 12),
    });
  });
});

describe('metrics on hand-checked cases', () => {
  it('AUC gives tied scores their average rank', () => {
    expect(auc([0, 1], [0.5, 0.5])).toBe(0.5);
    expect(auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
  });
  it('AUC refuses a single class', () => {
    expect(() => auc([1, 1], [0.2, 0.3])).toThrow(/both classes/);
  });
  it('a probability of exactly 0.5 predicts the negative class', () => {
    expect(accuracy([0, 1], [0.5, 0.5])).toBe(0.5);
    expect(f1([1], [0.5])).toBe(0);
  });
  it('log loss is finite for a confident mistake', () => {
    expect(logLoss([1], [0])).toBeCloseTo(-Math.log(1e-15), 6);
  });
  it('refuses mismatched lengths and empty input', () => {
    expect(() => rmse([1, 2], [1])).toThrow(/differ in length: 2 vs 1/);
    expect(() => mae([], [])).toThrow(/at least one row/);
  });
});
