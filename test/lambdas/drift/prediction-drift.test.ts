import { describe, expect, it } from 'vitest';
import { DriftInputError } from '../../../lambdas/drift/compare';
import { DEFAULT_DRIFT_THRESHOLDS } from '../../../lambdas/drift/drift-config';
import {
  comparePredictedClasses,
  predictedClassOf,
  referenceClassCounts,
} from '../../../lambdas/drift/prediction-drift';
import { predictionDriftFixture, relativeError } from './fixtures';

const T = DEFAULT_DRIFT_THRESHOLDS;

describe('predicted classes against the training labels, cross-checked with scipy.stats.chisquare and numpy', () => {
  it('uses the thresholds the fixture was judged with', () => {
    expect(predictionDriftFixture.thresholds).toEqual({ psiCritical: T.psiCritical, alpha: T.alpha, minEffectSize: T.minEffectSize });
  });

  it.each(predictionDriftFixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    // GIVEN the baseline's class counts and the window's predicted classes
    const reference = referenceClassCounts(c.targetCounts, { task: c.task, classes: c.classes });
    // WHEN
    const drift = comparePredictedClasses(reference, { counts: c.predictedCounts, unclassified: 0 }, T);
    // THEN
    expect(drift.classes.map((x) => x.class)).toEqual(c.categories);
    drift.classes.forEach((x, i) => {
      expect(x.baselineShare).toBeCloseTo(c.baselineShares[i], 15);
      expect(x.currentShare).toBeCloseTo(c.currentShares[i], 15);
    });
    expect(drift.chiSquared.dof).toBe(c.dof);
    expect(relativeError(drift.chiSquared.statistic, c.statistic)).toBeLessThan(1e-12);
    expect(relativeError(drift.chiSquared.pValue, c.pValue)).toBeLessThan(1e-10);
    expect(relativeError(drift.psi, c.psi)).toBeLessThan(1e-12);
    expect(relativeError(drift.chiSquared.effectSize, c.effectSize)).toBeLessThan(1e-12);
    expect(drift.drifted).toBe(c.drifted);
    expect(drift.count).toBe(Object.values(c.predictedCounts).reduce((s, n) => s + n, 0));
  });
});

describe('comparePredictedClasses', () => {
  it('counts a label the model has no class for as drift, pooled and named', () => {
    // GIVEN three classes trained in equal shares, and a window where 5% of the predictions are an unknown label
    const reference = referenceClassCounts({ a: 100, b: 100, c: 100 }, { task: 'multiclass-classification', classes: ['a', 'b', 'c'] });
    // WHEN
    const drift = comparePredictedClasses(reference, { counts: { a: 320, b: 310, c: 320, zebra: 50 }, unclassified: 0 }, T);
    // THEN
    expect(drift.unknownClasses).toEqual({ zebra: 50 });
    expect(drift.classes.at(-1)).toEqual({ class: '__other__', baselineShare: 0, currentShare: 0.05, predicted: 50 });
    expect(drift.drifted).toBe(true);
    expect(drift.reasons.join(' ')).toMatch(/chi-squared p-value .* < 0\.01 with effect size/);
  });

  it('lists a class the model never predicted with its training share and no predictions', () => {
    // GIVEN
    const reference = referenceClassCounts({ a: 500, b: 300, c: 200 }, { task: 'multiclass-classification', classes: ['a', 'b', 'c'] });
    // WHEN
    const drift = comparePredictedClasses(reference, { counts: { a: 500, b: 500 }, unclassified: 3 }, T);
    // THEN
    expect(drift.classes.find((x) => x.class === 'c')).toEqual({ class: 'c', baselineShare: 0.2, currentShare: 0, predicted: 0 });
    expect(drift.unclassified).toBe(3);
    expect(drift.psiLevel).toBe('critical');
  });
});

describe('referenceClassCounts', () => {
  it('adds the classes of the model that no training row has, counted 0', () => {
    expect({ ...referenceClassCounts({ a: 5, b: 5 }, { task: 'multiclass-classification', classes: ['a', 'b', 'c'] }) }).toEqual({ a: 5, b: 5, c: 0 });
    expect({ ...referenceClassCounts({ '0': 9 }, { task: 'binary-classification' }) }).toEqual({ '0': 9, '1': 0 });
  });

  it('refuses a class mix that counts no training label', () => {
    expect(() => referenceClassCounts({ a: 0, b: 0, c: 0 }, { task: 'multiclass-classification', classes: ['a', 'b', 'c'] })).toThrow(
      new DriftInputError("the baseline's class distribution counts no training labels"),
    );
  });
});

describe('predictedClassOf', () => {
  it('keys a multiclass prediction by String(label), integer classes included', () => {
    expect(predictedClassOf({ label: 'virginica', prediction: 0.7 }, 'multiclass-classification')).toBe('virginica');
    expect(predictedClassOf({ label: 5, prediction: 0.7 }, 'multiclass-classification')).toBe('5');
    expect(predictedClassOf({ prediction: 0.7 }, 'multiclass-classification')).toBeUndefined();
  });

  it('reads a binary class off the positive probability, whatever the model calls its labels; a tie is negative', () => {
    expect(predictedClassOf({ label: 'yes', prediction: 0.93 }, 'binary-classification')).toBe('1');
    expect(predictedClassOf({ label: 'no', prediction: 0.07 }, 'binary-classification')).toBe('0');
    expect(predictedClassOf({ label: 'no', prediction: 0.5 }, 'binary-classification')).toBe('0');
  });

  it('has no class for a regressor', () => {
    expect(predictedClassOf({ prediction: 12.5 }, 'regression')).toBeUndefined();
  });
});
