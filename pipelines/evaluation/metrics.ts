import type { TeamConfig } from '../../contracts/team-config';
// The inference response's argmax (first class on a tie, a NaN never wins), so the evaluation scores the labels served.
import { predictedClass as argmaxClass } from '../../lambdas/inference/predict';

/**
 * Model quality metrics as pure functions of labels and predictions. The evaluation step, the registry's
 * holdout-parity check and bring-your-own-model registration all call these, so a metric means the same thing
 * everywhere. Cross-checked against scikit-learn (test/fixtures/evaluation/).
 */

export type ModelTask = TeamConfig['model']['task'];
export type Metrics = Record<string, number>;

/** Probabilities are clipped to [EPS, 1 - EPS] in the log loss so a confident mistake costs ~34.5, not infinity. */
const LOG_LOSS_EPS = 1e-15;
/** A probability above this predicts the positive class (scikit-learn's `decision_function > 0`). */
const DECISION_THRESHOLD = 0.5;

function checkLengths(labels: ArrayLike<number>, predictions: ArrayLike<number>): void {
  if (labels.length !== predictions.length) {
    throw new RangeError(`labels and predictions differ in length: ${labels.length} vs ${predictions.length}`);
  }
  if (labels.length === 0) throw new RangeError('metrics need at least one row');
}

/**
 * Area under the ROC curve for 0/1 labels, via the Mann-Whitney U statistic. Tied scores get their average
 * rank, which is what the trapezoidal ROC area gives. Needs both classes.
 */
export function auc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  checkLengths(labels, scores);
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b] || a - b);
  let positives = 0;
  let positiveRankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]] === scores[order[start]]) end++;
    const averageRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (labels[order[k]] === 1) {
        positives++;
        positiveRankSum += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) throw new RangeError('AUC needs both classes among the labels');
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

const predictedClass = (probability: number) => (probability > DECISION_THRESHOLD ? 1 : 0);

/** Share of rows whose predicted class (probability > 0.5) equals the label. */
export function accuracy(labels: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  checkLengths(labels, probabilities);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predictedClass(probabilities[i]) === labels[i]) correct++;
  return correct / labels.length;
}

/** F1 of the positive class at probability > 0.5; 0 when there is no true or predicted positive (scikit-learn's zero_division=0). */
export function f1(labels: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  checkLengths(labels, probabilities);
  let truePositives = 0;
  let falsePositives = 0;
  let falseNegatives = 0;
  for (let i = 0; i < labels.length; i++) {
    const predicted = predictedClass(probabilities[i]);
    if (predicted === 1 && labels[i] === 1) truePositives++;
    else if (predicted === 1) falsePositives++;
    else if (labels[i] === 1) falseNegatives++;
  }
  const denominator = 2 * truePositives + falsePositives + falseNegatives;
  return denominator === 0 ? 0 : (2 * truePositives) / denominator;
}

/** Mean binary cross-entropy of the positive-class probabilities, clipped by LOG_LOSS_EPS. */
export function logLoss(labels: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  checkLengths(labels, probabilities);
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(Math.max(probabilities[i], LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
    total -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return total / labels.length;
}

export function rmse(targets: ArrayLike<number>, predictions: ArrayLike<number>): number {
  checkLengths(targets, predictions);
  let total = 0;
  for (let i = 0; i < targets.length; i++) total += (targets[i] - predictions[i]) ** 2;
  return Math.sqrt(total / targets.length);
}

export function mae(targets: ArrayLike<number>, predictions: ArrayLike<number>): number {
  checkLengths(targets, predictions);
  let total = 0;
  for (let i = 0; i < targets.length; i++) total += Math.abs(targets[i] - predictions[i]);
  return total / targets.length;
}

/**
 * Class probabilities of a multiclass model, row-major: `data[r * columns + k]` is row r's probability of class k
 * (the layout of the inference tier's ModelOutput, so a model's output is scored as it is).
 */
export interface ProbabilityMatrix {
  data: ArrayLike<number>;
  columns: number;
}

const isMatrix = (predictions: ArrayLike<number> | ProbabilityMatrix): predictions is ProbabilityMatrix =>
  typeof (predictions as ProbabilityMatrix).columns === 'number' && 'data' in predictions;

/** Class indices must be integers 0..K-1 and the matrix must hold K values per label. */
function checkMatrix(labels: ArrayLike<number>, probabilities: ProbabilityMatrix): void {
  const { data, columns } = probabilities;
  if (!Number.isInteger(columns) || columns < 2) throw new RangeError(`a probability matrix has 2 or more columns, got ${columns}`);
  if (labels.length === 0) throw new RangeError('metrics need at least one row');
  if (data.length !== labels.length * columns) {
    throw new RangeError(`${labels.length} labels need ${labels.length * columns} probabilities (${columns} per row), got ${data.length}`);
  }
  for (let i = 0; i < labels.length; i++) {
    if (!Number.isInteger(labels[i]) || labels[i] < 0 || labels[i] >= columns) {
      throw new RangeError(`label of row ${i + 1} must be a class index 0..${columns - 1}, got ${labels[i]}`);
    }
  }
}

/** Share of rows whose predicted class (argmax) is the label. */
export function multiclassAccuracy(labels: ArrayLike<number>, probabilities: ProbabilityMatrix): number {
  checkMatrix(labels, probabilities);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (argmaxClass(probabilities, i) === labels[i]) correct++;
  return correct / labels.length;
}

/**
 * Unweighted mean of the per-class F1 of the argmax predictions over the classes that occur among the labels or
 * the predictions, as scikit-learn's f1_score(average='macro', zero_division=0) takes them: a class in neither is
 * left out (so every F1 averaged has a denominator); a class predicted but never true, or true but never
 * predicted, scores 0.
 */
export function macroF1(labels: ArrayLike<number>, probabilities: ProbabilityMatrix): number {
  checkMatrix(labels, probabilities);
  const { columns } = probabilities;
  const truePositives = new Array<number>(columns).fill(0);
  const predicted = new Array<number>(columns).fill(0);
  const actual = new Array<number>(columns).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const p = argmaxClass(probabilities, i);
    predicted[p]++;
    actual[labels[i]]++;
    if (p === labels[i]) truePositives[p]++;
  }
  let total = 0;
  let classes = 0;
  for (let k = 0; k < columns; k++) {
    if (predicted[k] + actual[k] === 0) continue;
    classes++;
    total += (2 * truePositives[k]) / (predicted[k] + actual[k]);
  }
  return total / classes;
}

/**
 * Mean cross-entropy of the label's probability, clipped to [LOG_LOSS_EPS, 1 - LOG_LOSS_EPS] like the binary one.
 * Rows are not renormalized: scikit-learn 1.2 divides each clipped row by its sum (later versions no longer do);
 * the evaluation refuses rows that do not sum to 1 (within 1e-4) before scoring, and for those that do the two
 * agree to ~1e-15.
 */
export function multiclassLogLoss(labels: ArrayLike<number>, probabilities: ProbabilityMatrix): number {
  checkMatrix(labels, probabilities);
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = probabilities.data[i * probabilities.columns + labels[i]];
    total -= Math.log(Math.min(Math.max(p, LOG_LOSS_EPS), 1 - LOG_LOSS_EPS));
  }
  return total / labels.length;
}

/**
 * One-vs-rest macro AUC: the unweighted mean over classes of the AUC of class k's probability column against
 * "label is k" (scikit-learn's roc_auc_score(multi_class='ovr', average='macro')). A class with no rows among the
 * labels has no ROC curve and is left out of the mean (scikit-learn refuses such data); at least 2 classes must occur.
 */
export function macroAuc(labels: ArrayLike<number>, probabilities: ProbabilityMatrix): number {
  checkMatrix(labels, probabilities);
  const { data, columns } = probabilities;
  const rowsOf = new Array<number>(columns).fill(0);
  for (let i = 0; i < labels.length; i++) rowsOf[labels[i]]++;
  const present = rowsOf.flatMap((rows, k) => (rows > 0 ? [k] : []));
  if (present.length < 2) throw new RangeError('macro AUC needs at least 2 classes among the labels');
  const isClass = new Float64Array(labels.length);
  const scores = new Float64Array(labels.length);
  let total = 0;
  for (const k of present) {
    for (let i = 0; i < labels.length; i++) {
      isClass[i] = labels[i] === k ? 1 : 0;
      scores[i] = data[i * columns + k];
    }
    total += auc(isClass, scores);
  }
  return total / present.length;
}

/**
 * Every metric of the task, keyed by the metric names of contracts/team-config.ts (METRICS_OF_TASK). `predictions` are
 * positive-class probabilities (binary classification), predicted values (regression), or the probability matrix
 * of a multiclass model, whose labels are class indices.
 */
export function computeMetrics(task: ModelTask, labels: ArrayLike<number>, predictions: ArrayLike<number> | ProbabilityMatrix): Metrics {
  if (task === 'multiclass-classification') {
    if (!isMatrix(predictions)) throw new TypeError('multiclass metrics need a probability matrix ({ data, columns })');
    return {
      accuracy: multiclassAccuracy(labels, predictions),
      macroF1: macroF1(labels, predictions),
      logLoss: multiclassLogLoss(labels, predictions),
      macroAuc: macroAuc(labels, predictions),
    };
  }
  if (isMatrix(predictions)) throw new TypeError(`${task} metrics take one prediction per row, not a probability matrix`);
  if (task === 'regression') return { rmse: rmse(labels, predictions), mae: mae(labels, predictions) };
  return {
    auc: auc(labels, predictions),
    accuracy: accuracy(labels, predictions),
    f1: f1(labels, predictions),
    logLoss: logLoss(labels, predictions),
  };
}
