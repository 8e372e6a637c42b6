import { describe, expect, it } from 'vitest';
import { measureVersion } from '../../../lambdas/quality/quality-measures';
import { Random } from '../../../pipelines/common/random';
import { sklearnQuality } from './sklearn-reference';

const random = new Random(11);

describe('measureVersion', () => {
  it('measures a regressor by RMSE and MAE as scikit-learn does', () => {
    const truths = Array.from({ length: 300 }, () => 100 + 50 * random.normal());
    const predictions = truths.map((t) => t + 8 * random.normal());
    const quality = measureVersion(3, { truths, predictions, probabilities: [] }, 'regression');
    const reference = sklearnQuality('regression', { 3: { truths, predictions } })[3];
    expect(quality).toEqual({ modelVersion: 3, labelled: 300, rmse: expect.any(Number), mae: expect.any(Number) });
    expect(quality.rmse).toBeCloseTo(reference.rmse, 10);
    expect(quality.mae).toBeCloseTo(reference.mae, 10);
  });

  it('measures a multiclass classifier by accuracy and log loss as scikit-learn does', () => {
    const rows = Array.from({ length: 300 }, () => {
      const truth = Math.floor(random.uniform() * 3);
      const raw = [0, 1, 2].map((k) => random.uniform() + (k === truth ? 0.8 : 0));
      const sum = raw.reduce((a, b) => a + b, 0);
      return { truth, probabilities: raw.map((v) => v / sum) };
    });
    const truths = rows.map((r) => r.truth);
    const quality = measureVersion(1, { truths, predictions: [], probabilities: rows.flatMap((r) => r.probabilities) }, 'multiclass-classification');
    const reference = sklearnQuality('multiclass-classification', { 1: { truths, predictions: [], probabilities: rows.map((r) => r.probabilities) } })[1];
    expect(quality.accuracy).toBeCloseTo(reference.accuracy, 12);
    expect(quality.logLoss).toBeCloseTo(reference.logLoss, 10);
    expect(quality.auc).toBeUndefined();
  });

  it('gives a binary classifier no AUC when only one class is among the labels (no ROC curve), but accuracy and log loss', () => {
    const quality = measureVersion(1, { truths: [1, 1, 1], predictions: [0.9, 0.4, 0.7], probabilities: [] }, 'binary-classification');
    expect(quality.auc).toBeUndefined();
    expect(quality.accuracy).toBeCloseTo(2 / 3, 12);
    expect(quality.logLoss).toBeCloseTo(-(Math.log(0.9) + Math.log(0.4) + Math.log(0.7)) / 3, 12);
  });
});
