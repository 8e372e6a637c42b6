import type { ModelOutput, ModelSession } from './model-session';

/**
 * The invocation response:
 *
 *   {"predictions": [...], "modelVersion": N}
 *
 * one prediction per instance, in request order. A binary classifier's prediction is
 * `{"label": <label>, "probabilities": [p0, p1]}`: labels come from metadata.json's `labels` ([negative, positive],
 * default [0, 1]), probabilities are the model's own float32 outputs (for a one-column sigmoid output p1, p0 = 1 - p1),
 * and the label is the one with the higher probability (the negative one on a tie). A regressor's prediction is
 * the predicted number. A non-finite model output is written as null.
 */
export interface Prediction {
  /** The response body. */
  body: string;
  rows: number;
  /** Rows predicted as the positive class (0 for regression). */
  positives: number;
}

// The body is written directly rather than built as objects for JSON.stringify: at batch 1 the response encoding
// is a visible share of the handler's overhead over the model run itself.
export function encodePrediction(session: ModelSession, output: ModelOutput, rows: number, modelVersion: number): Prediction {
  let body = '{"predictions":[';
  let positives = 0;
  if (session.task === 'regression') {
    for (let r = 0; r < rows; r++) body += r ? `,${number(output.data[r])}` : number(output.data[r]);
  } else {
    const [negative, positive] = session.labelsJson;
    for (let r = 0; r < rows; r++) {
      const p1 = positiveProbability(output, r);
      const p0 = negativeProbability(output, r);
      const isPositive = p1 > p0;
      if (isPositive) positives++;
      body += `${r ? ',' : ''}{"label":${isPositive ? positive : negative},"probabilities":[${number(p0)},${number(p1)}]}`;
    }
  }
  return { body: `${body}],"modelVersion":${modelVersion}}`, rows, positives };
}

/** Probability of the positive class (classification) or the predicted value (regression) of row `r`. */
export function positiveProbability(output: ModelOutput, r: number): number {
  return output.columns === 2 ? output.data[2 * r + 1] : output.data[r];
}

function negativeProbability(output: ModelOutput, r: number): number {
  return output.columns === 2 ? output.data[2 * r] : 1 - output.data[r];
}

/** The label a classifier predicts for row `r`: the one with the higher probability, the negative one on a tie. */
export function predictedLabel(session: ModelSession, output: ModelOutput, r: number): string | number {
  return session.labels[positiveProbability(output, r) > negativeProbability(output, r) ? 1 : 0];
}

/** JSON of a number; JSON has no NaN or Infinity. */
const number = (value: number) => (Number.isFinite(value) ? String(value) : 'null');
