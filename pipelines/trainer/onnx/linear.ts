import type { LinearModel } from '../algorithms/logistic-regression';
import {
  encodeModel,
  floatInfo,
  floatTensor,
  INPUT_NAME,
  int64Info,
  LABEL_OUTPUT,
  node,
  PREDICTIONS_OUTPUT,
  PROBABILITIES_OUTPUT,
} from './graph';

/**
 * Exports a linear model with core operators only: MatMul + Add (+ Sigmoid, then [1 - p, p] and ArgMax for the
 * label). Core operators have one documented meaning, unlike LinearClassifier's binary special cases.
 */
export function exportLinearModel(model: LinearModel): Uint8Array {
  const width = model.weights.length;
  const initializer = [floatTensor('weights', [width, 1], model.weights), floatTensor('bias', [1], [model.bias])];
  const input = floatInfo(INPUT_NAME, ['N', width]);
  const linear = [node('MatMul', [INPUT_NAME, 'weights'], ['product']), node('Add', ['product', 'bias'], ['score'])];

  if (model.task === 'regression') {
    linear[1] = node('Add', ['product', 'bias'], [PREDICTIONS_OUTPUT]);
    return encodeModel(
      { name: 'linear-regression', node: linear, initializer, input: [input], output: [floatInfo(PREDICTIONS_OUTPUT, ['N', 1])] },
      'Ridge regression (mlops-trainer)',
    );
  }
  initializer.push(floatTensor('one', [1], [1]));
  return encodeModel(
    {
      name: 'logistic-regression',
      node: [
        ...linear,
        node('Sigmoid', ['score'], ['positive']),
        node('Sub', ['one', 'positive'], ['negative']),
        node('Concat', ['negative', 'positive'], [PROBABILITIES_OUTPUT], { axis: 1 }),
        node('ArgMax', [PROBABILITIES_OUTPUT], [LABEL_OUTPUT], { axis: 1, keepdims: 0 }),
      ],
      initializer,
      input: [input],
      output: [int64Info(LABEL_OUTPUT, ['N']), floatInfo(PROBABILITIES_OUTPUT, ['N', 2])],
    },
    'L2-regularised logistic regression (mlops-trainer)',
  );
}
