import type { CaptureRecord } from '../../contracts/capture-record';
import { DriftInputError, judgeCategories, type CategoricalVerdict } from './compare';
import type { DriftConfig, DriftThresholds } from './drift-config';

/** How often each class was predicted: key String(label) for a multiclass model, "0"/"1" for a binary one. */
export type ClassCounts = Record<string, number>;

/** One class of the comparison: its share of the training labels and of the predictions in the window. */
export interface PredictedClassShare {
  /** The class label as String(label); `__other__` pools predicted labels that are not classes of the model. */
  class: string;
  baselineShare: number;
  currentShare: number;
  /** Captured rows predicted as this class. */
  predicted: number;
}

/**
 * Drift of the predicted class distribution: the classes predicted in the capture window against the class mix of
 * the training labels (the baseline's `target`), by PSI and chi-squared with the verdict rules of a categorical
 * feature.
 *
 * The baseline is the mix of the training LABELS, not of the model's predictions: an argmax classifier predicts a
 * minority class less often than it occurs, so even traffic drawn like the training data differs from the baseline
 * by the model's own bias, and with thousands of rows the chi-squared p-value finds that difference significant.
 * The effect-size guard of the verdict, and an alarm on PSI rather than on the p-value, keep that from reading as
 * drift; a window whose mix moved well beyond it does.
 */
export interface PredictionDrift extends Omit<CategoricalVerdict, 'comparison'> {
  /** The classes compared, sorted by label, then `__other__` when labels outside the classes were predicted. */
  classes: PredictedClassShare[];
  /** Predicted labels that are no class of the model (pooled as `__other__`), with their counts. */
  unknownClasses: ClassCounts;
  /** Captured rows without a predicted class (a multiclass record with no `label`), not compared. */
  unclassified: number;
}

/**
 * The class a captured row was predicted as, in the baseline's keys; undefined when the record carries none.
 * - multiclass: String(label), the label as written in `model.classes`;
 * - binary: "1" when the positive probability exceeds one half, else "0" (the inference tier's label rule, the
 *   negative class on a tie). The baseline counts the processed 0/1 labels, while a binary model may name its labels
 *   as it likes (`mlops models register --labels no,yes`), so the probability, not the name, decides.
 */
export function predictedClassOf(record: Pick<CaptureRecord, 'label' | 'prediction'>, task: DriftConfig['task']): string | undefined {
  if (task === 'binary-classification') return record.prediction > 0.5 ? '1' : '0';
  if (task === 'multiclass-classification') return record.label === undefined ? undefined : String(record.label);
  return undefined;
}

/**
 * The reference class mix: the baseline's training-label counts over every class of the model (the config's
 * `classes` for multiclass, "0"/"1" for binary), a class missing from the training data counted 0.
 *
 * A class with no training rows keeps a (floored) share near zero, and a predicted label that is no class of the
 * model at all is pooled into `__other__` with a baseline share of zero: either way a class the model never saw in
 * training is itself drift, a large PSI and chi-squared term from its first predictions rather than a row to drop.
 */
export function referenceClassCounts(targetCounts: ClassCounts, config: Pick<DriftConfig, 'task' | 'classes'>): ClassCounts {
  const classes = config.task === 'binary-classification' ? ['0', '1'] : (config.classes ?? []).map(String);
  const reference: ClassCounts = Object.assign(Object.create(null) as ClassCounts, targetCounts);
  for (const label of classes) reference[label] ??= 0;
  const total = Object.values(reference).reduce((s, c) => s + c, 0);
  if (!(total > 0)) throw new DriftInputError("the baseline's class distribution counts no training labels");
  return reference;
}

/** Compares the predicted classes with the reference mix (see PredictionDrift). */
export function comparePredictedClasses(
  reference: ClassCounts,
  predicted: { counts: ClassCounts; unclassified: number },
  t: DriftThresholds,
): PredictionDrift {
  const { comparison, ...verdict } = judgeCategories(reference, predicted.counts, t);
  const unknownClasses = Object.fromEntries(Object.entries(predicted.counts).filter(([label]) => !Object.hasOwn(reference, label)));
  const pooled = Object.values(unknownClasses).reduce((s, c) => s + c, 0);
  const referenceClasses = Object.keys(reference).length;
  // compareCategories lists the reference classes first, then the pooled bucket when anything fell outside them.
  const classes = comparison.categories.map((label, i) => ({
    class: label,
    baselineShare: comparison.baselineShares[i],
    currentShare: comparison.currentShares[i],
    predicted: i < referenceClasses ? (predicted.counts[label] ?? 0) : pooled,
  }));
  return { ...verdict, classes, unknownClasses, unclassified: predicted.unclassified };
}
