import type { TeamConfig } from '../../lib/team-config';

/**
 * Model quality metrics as pure functions of labels and predictions. The evaluation step, the registry's
 * holdout-parity check and bring-your-own-model registration all call these, so a metric means the same thing
 * everywhere. Cross-checked against scikit-learn (test/fixtures/evaluation/).
 */

export type ModelTask = TeamConfig['model']['task'];
export type Metrics = Record<string, number>;

/** Probabilities are clipped to [EPS, 1 - EPS] in the log loss so a confident mistake costs ~34.5, not infinity. */
export const LOG_LOSS_EPS = 1e-15;
/** A probability above this predicts the positive class (scikit-learn's `decision_function > 0`). */
export const DECISION_THRESHOLD = 0.5;

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
 * Every metric of the task. `predictions` are positive-class probabilities for classification and predicted
 * values for regression. Keys are the metric names of lib/team-config.ts (CLASSIFICATION_METRICS, REGRESSION_METRICS).
 */
export function computeMetrics(task: ModelTask, labels: ArrayLike<number>, predictions: ArrayLike<number>): Metrics {
  if (task === 'regression') return { rmse: rmse(labels, predictions), mae: mae(labels, predictions) };
  return {
    auc: auc(labels, predictions),
    accuracy: accuracy(labels, predictions),
    f1: f1(labels, predictions),
    logLoss: logLoss(labels, predictions),
  };
}
