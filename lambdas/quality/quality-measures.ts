import type { VersionQuality } from '../../contracts/ground-truth';
import { accuracy, auc, logLoss, mae, multiclassAccuracy, multiclassLogLoss, rmse } from '../../pipelines/evaluation/metrics';
import type { VersionRows } from './joined-predictions';
import type { QualityConfig } from './quality-config';

/**
 * A version's quality on its labelled predictions, with the evaluation step's metric functions (so a production AUC
 * means what the holdout AUC the version was approved on means): AUC, accuracy and log loss of a binary classifier
 * (AUC only when both classes occur among the labels), accuracy and log loss of a multiclass one, RMSE and MAE of a
 * regressor.
 */
export function measureVersion(modelVersion: number, rows: VersionRows, task: QualityConfig['task']): VersionQuality {
  const { truths, predictions, probabilities } = rows;
  const labelled = truths.length;
  if (task === 'regression') return { modelVersion, labelled, rmse: rmse(truths, predictions), mae: mae(truths, predictions) };
  if (task === 'multiclass-classification') {
    const matrix = { data: probabilities, columns: probabilities.length / labelled };
    return { modelVersion, labelled, accuracy: multiclassAccuracy(truths, matrix), logLoss: multiclassLogLoss(truths, matrix) };
  }
  const bothClasses = truths.includes(0) && truths.includes(1);
  return {
    modelVersion,
    labelled,
    ...(bothClasses ? { auc: auc(truths, predictions) } : {}),
    accuracy: accuracy(truths, predictions),
    logLoss: logLoss(truths, predictions),
  };
}
