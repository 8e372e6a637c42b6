import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  auc,
  computeMetrics,
  f1,
  logLoss,
  macroAuc,
  macroF1,
  mae,
  multiclassAccuracy,
  multiclassLogLoss,
  rmse,
} from '../../../pipelines/evaluation/metrics';

interface Fixture {
  classification: { name: string; labels: number[]; scores: number[]; expected: Record<string, number> }[];
  regression: { targets: number[]; predictions: number[]; expected: { rmse: number; mae: number } };
}
const fixture: Fixture = JSON.parse(readFileSync('test/fixtures/evaluation/metrics-sklearn.json', 'utf8'));
interface MulticlassFixture {
  cases: { name: string; labels: number[]; columns: number; probabilities: number[]; expected: Record<string, number> }[];
}
const multiclass: MulticlassFixture = JSON.parse(readFileSync('test/fixtures/evaluation/multiclass-metrics-sklearn.json', 'utf8'));

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

describe('multiclass metrics agree with scikit-learn within 1e-12', () => {
  it.each(multiclass.cases)('$name', ({ labels, columns, probabilities, expected }) => {
    const metrics = computeMetrics('multiclass-classification', labels, { data: probabilities, columns });
    expect(Object.keys(metrics)).toEqual(['accuracy', 'macroF1', 'logLoss', 'macroAuc']);
    for (const name of Object.keys(expected)) expect(Math.abs(metrics[name] - expected[name]), name).toBeLessThan(1e-12);
  });
});

describe('multiclass metrics on hand-checked cases', () => {
  const matrix = (rows: number[][]) => ({ data: rows.flat(), columns: rows[0].length });

  it('a tie between the most probable classes predicts the first of them', () => {
    expect(multiclassAccuracy([0, 1], matrix([[0.4, 0.4, 0.2], [0.4, 0.4, 0.2]]))).toBe(0.5);
  });
  it('a NaN probability never wins: the most probable finite class is predicted, the first class when all are NaN', () => {
    // row 1 predicts class 1 (the NaN of class 0 is passed over), row 2 class 0
    expect(multiclassAccuracy([1, 0], matrix([[Number.NaN, 0.7, 0.2], [Number.NaN, Number.NaN, Number.NaN]]))).toBe(1);
    // classes 2 and 1 predicted for true 2 and 1: F1 1 each; had the NaN class 0 won, every F1 would be 0
    expect(macroF1([2, 1], matrix([[Number.NaN, 0.1, 0.3], [0.2, 0.5, Number.NaN]]))).toBe(1);
  });
  it('macro F1 leaves out a class neither true nor predicted, and scores 0 for one predicted but never true', () => {
    // class 2 occurs nowhere: the mean is over classes 0 and 1, each with F1 1
    expect(macroF1([0, 1], matrix([[0.9, 0.1, 0], [0.1, 0.9, 0]]))).toBe(1);
    // class 2 predicted once, never true: F1 (1 + 2/3 + 0) / 3
    expect(macroF1([0, 1, 1], matrix([[0.9, 0.1, 0], [0.1, 0.9, 0], [0, 0.1, 0.9]]))).toBeCloseTo((1 + 2 / 3) / 3, 15);
  });
  it('log loss takes the probability as given: a row that does not sum to 1 is not renormalized', () => {
    expect(multiclassLogLoss([0], matrix([[0.5, 0.25, 0.2]]))).toBe(-Math.log(0.5));
    expect(multiclassLogLoss([2], matrix([[0.5, 0.5, 0]]))).toBeCloseTo(-Math.log(1e-15), 6);
  });
  it('macro AUC averages over the classes among the labels, and refuses a single class', () => {
    const probabilities = matrix([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.8, 0.1]]);
    expect(macroAuc([0, 1, 0, 1], probabilities)).toBe(1);
    expect(() => macroAuc([2, 2, 2, 2], probabilities)).toThrow('macro AUC needs at least 2 classes among the labels');
  });
  it('refuses labels that are not class indices of the matrix, naming the row', () => {
    expect(() => multiclassAccuracy([0, 3], matrix([[0.5, 0.3, 0.2], [0.5, 0.3, 0.2]]))).toThrow('label of row 2 must be a class index 0..2, got 3');
    expect(() => macroF1([0, 1], { data: [0.5, 0.5, 0.5], columns: 2 })).toThrow('2 labels need 4 probabilities (2 per row), got 3');
  });
  it('computeMetrics takes a matrix for multiclass and one prediction per row otherwise', () => {
    expect(() => computeMetrics('multiclass-classification', [0, 1], [0.2, 0.8])).toThrow(/need a probability matrix/);
    expect(() => computeMetrics('binary-classification', [0, 1], matrix([[0.8, 0.2], [0.2, 0.8]]))).toThrow(/not a probability matrix/);
  });
});
