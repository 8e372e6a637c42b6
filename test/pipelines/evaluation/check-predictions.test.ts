import { describe, expect, it } from 'vitest';
import { checkPredictions } from '../../../pipelines/evaluation/check-predictions';
import { InvalidModelOutputError } from '../../../pipelines/evaluation/invalid-model-output';

const output = (rows: number[][]) => ({ data: Float32Array.from(rows.flat()), columns: rows[0].length });
const check = (task: Parameters<typeof checkPredictions>[0], rows: number[][]) => () => checkPredictions(task, output(rows), rows.length, 'validation.csv');

describe('checks of a model output before it is scored', () => {
  it('accepts multiclass rows that sum to 1 within float32 rounding, and 0 and 1 themselves', () => {
    expect(check('multiclass-classification', [[0.1, 0.2, 0.7], [1, 0, 0], [0.33333334, 0.33333334, 0.33333334]])).not.toThrow();
  });

  it('names the first multiclass row that does not sum to 1 and its values', () => {
    expect(check('multiclass-classification', [[0.1, 0.2, 0.7], [0.5, 0.5, 0.5], [0.9, 0.9, 0.9]])).toThrow(
      new InvalidModelOutputError(
        "the model's output for row 2 of validation.csv is [0.5, 0.5, 0.5]: the class probabilities sum to 1.5, not 1 (within 0.0001); does the model end in a softmax?",
      ),
    );
  });

  it('refuses a row off by more than 1e-4 and accepts one off by less', () => {
    expect(check('multiclass-classification', [[0.5, 0.25, 0.2498]])).toThrow(/sum to 0\.9998, not 1/);
    expect(check('multiclass-classification', [[0.5, 0.25, 0.24995]])).not.toThrow();
  });

  it('refuses NaN, infinite, negative and above-1 probabilities, naming the value', () => {
    expect(check('multiclass-classification', [[0.2, 0.3, 0.5], [Number.NaN, 0.5, 0.5]])).toThrow(
      "row 2 of validation.csv is [NaN, 0.5, 0.5]: NaN is not a probability (a number from 0 to 1)",
    );
    expect(check('multiclass-classification', [[Number.POSITIVE_INFINITY, 0, 0]])).toThrow('Infinity is not a probability');
    expect(check('multiclass-classification', [[-0.25, 0.5, 0.75]])).toThrow('-0.25 is not a probability');
    expect(check('binary-classification', [[1.5]])).toThrow("row 1 of validation.csv is 1.5: 1.5 is not a probability");
  });

  it('binary: [p0, p1] must sum to 1, a single probability column need not', () => {
    expect(check('binary-classification', [[0.3, 0.7], [0.3, 0.3]])).toThrow(/row 2 .* sum to 0\.6, not 1/);
    expect(check('binary-classification', [[0.3], [0.9]])).not.toThrow();
  });

  it('regression: any finite value, and no NaN', () => {
    expect(check('regression', [[-12.5], [1e6]])).not.toThrow();
    expect(check('regression', [[3], [Number.NaN]])).toThrow("row 2 of validation.csv is NaN: a regressor must predict a finite number");
  });
});
