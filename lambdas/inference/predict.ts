import { predictionId } from '../../contracts/prediction-id';
import type { ModelOutput, ModelSession } from './model-session';

/**
 * The invocation response:
 *
 *   {"predictions": [...], "modelVersion": N, "predictionIds": ["<requestId>:0", ...]}
 *
 * one prediction per instance, in request order, and each prediction's id (contracts/prediction-id.ts: what labels name
 * it by later; docs/inference-api.md). A binary classifier's prediction is
 * `{"label": <label>, "probabilities": [p0, p1]}`: labels come from metadata.json's `labels` ([negative, positive],
 * default [0, 1]), probabilities are the model's own float32 outputs (for a one-column sigmoid output p1, p0 = 1 - p1),
 * and the label is the one with the higher probability (the negative one on a tie). A multiclass classifier's
 * prediction is `{"label": <label>, "probabilities": [p_0, ..., p_{K-1}]}` in the order of its labels, the label the
 * one with the highest probability (the first on a tie). A regressor's prediction is the predicted number. A
 * non-finite model output is written as null.
 */
export interface Prediction {
  /** The response body. */
  body: string;
  rows: number;
  /** Rows predicted as the positive class (binary classification; 0 otherwise). */
  positives: number;
  /** Rows predicted as each class, in the order of the labels (multiclass classification only). */
  classCounts?: number[];
}

// The body is written directly rather than built as objects for JSON.stringify: at batch 1 the response encoding
// is a visible share of the handler's overhead over the model run itself.
export function encodePrediction(session: ModelSession, output: ModelOutput, rows: number, modelVersion: number, requestId: string): Prediction {
  if (session.task === 'multiclass-classification') return encodeMulticlass(session, output, rows, modelVersion, requestId);
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
  return { body: `${body}],"modelVersion":${modelVersion},${predictionIds(requestId, rows)}}`, rows, positives };
}

/** A multiclass response: each row's label and every class probability, counted per predicted class. */
function encodeMulticlass(session: ModelSession, output: ModelOutput, rows: number, modelVersion: number, requestId: string): Prediction {
  const { data, columns } = output;
  const classCounts = new Array<number>(columns).fill(0);
  let body = '{"predictions":[';
  for (let r = 0; r < rows; r++) {
    const predicted = predictedClass(output, r);
    classCounts[predicted]++;
    let probabilities = number(data[r * columns]);
    for (let c = 1; c < columns; c++) probabilities += `,${number(data[r * columns + c])}`;
    body += `${r ? ',' : ''}{"label":${session.labelsJson[predicted]},"probabilities":[${probabilities}]}`;
  }
  return { body: `${body}],"modelVersion":${modelVersion},${predictionIds(requestId, rows)}}`, rows, positives: 0, classCounts };
}

/** A request id JSON carries as it is: a function URL's (a UUID) and most callers' x-request-id. */
const PLAIN_JSON_TEXT = /^[\w.-]*$/;

/**
 * `"predictionIds":[...]`. The request id is escaped once, and only when it needs it (a container caller's x-request-id
 * may hold quotes); a row's suffix never does. A JSON.stringify per id was a visible share of the handler's overhead
 * over the model run at batch 1 (bench/inference.ts).
 */
function predictionIds(requestId: string, rows: number): string {
  const escaped = PLAIN_JSON_TEXT.test(requestId) ? requestId : JSON.stringify(requestId).slice(1, -1);
  let ids = '"predictionIds":[';
  for (let r = 0; r < rows; r++) ids += `${r ? ',' : ''}"${predictionId(escaped, r)}"`;
  return `${ids}]`;
}

/** Probability of the positive class (binary classification) or the predicted value (regression) of row `r`. */
export function positiveProbability(output: ModelOutput, r: number): number {
  return output.columns === 2 ? output.data[2 * r + 1] : output.data[r];
}

function negativeProbability(output: ModelOutput, r: number): number {
  return output.columns === 2 ? output.data[2 * r] : 1 - output.data[r];
}

/**
 * The column a multiclass classifier predicts for row `r` of a row-major probability matrix: the highest probability,
 * the first class on a tie. A NaN never wins (the first class if all are NaN). The one argmax of the platform: the
 * inference response and the evaluation's accuracy and macro F1 (pipelines/evaluation/metrics.ts) both use it, so a
 * served label is the class the evaluation scored. Any array-like `data` is accepted for the evaluation's matrices;
 * the serving path passes a model output's typed array.
 */
export function predictedClass(output: { readonly data: ArrayLike<number>; readonly columns: number }, r: number): number {
  const { data, columns } = output;
  const start = r * columns;
  let best = 0;
  let highest = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < columns; c++) {
    if (data[start + c] > highest) {
      best = c;
      highest = data[start + c];
    }
  }
  return best;
}

/** Every class probability of row `r` of a multiclass classifier, in the order of its labels. */
export function classProbabilities(output: ModelOutput, r: number): number[] {
  return Array.from(output.data.subarray(r * output.columns, (r + 1) * output.columns));
}

/**
 * The label a classifier predicts for row `r`: binary, the one with the higher probability (the negative one on a
 * tie); multiclass, the one with the highest (the first on a tie).
 */
export function predictedLabel(session: ModelSession, output: ModelOutput, r: number): string | number {
  if (session.task === 'multiclass-classification') return session.labels[predictedClass(output, r)];
  return session.labels[positiveProbability(output, r) > negativeProbability(output, r) ? 1 : 0];
}

/** JSON of a number; JSON has no NaN or Infinity. */
const number = (value: number) => (Number.isFinite(value) ? String(value) : 'null');
