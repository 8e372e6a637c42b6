import type { ModelMetadata } from '../../contracts/model-metadata';
import { computeMetrics } from '../evaluation/metrics';
import type { NumericTable } from '../common/tabular';
import { trainGradientBoosting } from './algorithms/gradient-boosting';
import { trainLogisticRegression } from './algorithms/logistic-regression';
import type { TrainedModel } from './algorithms/model';
import type { Hyperparameters } from './hyperparameters';
import { INPUT_NAME } from './onnx/graph';

export interface TrainingResult {
  model: TrainedModel;
  onnx: Uint8Array;
  metadata: ModelMetadata;
}

/** The hyperparameters each algorithm actually uses, recorded in metadata.json. */
function effectiveHyperparameters(hp: Hyperparameters): Record<string, number> {
  if (hp.algorithm === 'logistic-regression') {
    return { l2: hp.l2, maxIterations: hp.maxIterations, tolerance: hp.tolerance };
  }
  return {
    trees: hp.trees,
    maxDepth: hp.maxDepth,
    learningRate: hp.learningRate,
    l2: hp.l2,
    minChildWeight: hp.minChildWeight,
    minSplitGain: hp.minSplitGain,
    maxBins: hp.maxBins,
    subsample: hp.subsample,
    seed: hp.seed,
  };
}

export function fitModel(hp: Hyperparameters, train: NumericTable): TrainedModel {
  const args = [hp.task, train.features, train.labels, train.rowCount, train.columnCount] as const;
  return hp.algorithm === 'logistic-regression'
    ? trainLogisticRegression(...args, hp)
    : trainGradientBoosting(...args, hp);
}

/**
 * Trains on the train split, scores train and validation, and returns the ONNX bytes with their metadata.
 * Pure: the same inputs give byte-identical outputs (metadata carries no timestamp for that reason; the
 * registry records when a version was created).
 */
export function trainModel(hp: Hyperparameters, train: NumericTable, validation: NumericTable, trainingDataSha256: string): TrainingResult {
  const model = fitModel(hp, train);
  const score = (table: NumericTable) => computeMetrics(hp.task, table.labels, model.predict(table.features, table.rowCount));
  const metadata: ModelMetadata = {
    inputName: INPUT_NAME,
    features: hp.features,
    task: hp.task,
    ...(hp.task === 'binary-classification' ? { labels: [0, 1] } : {}),
    outputName: model.outputName,
    algorithm: model.algorithm,
    hyperparameters: effectiveHyperparameters(hp),
    metrics: { train: score(train), validation: score(validation) },
    trainingDataSha256,
    framework: 'mlops-trainer',
  };
  return { model, onnx: model.toOnnx(), metadata };
}
