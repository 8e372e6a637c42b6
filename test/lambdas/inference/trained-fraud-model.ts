import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTeamConfig } from '../../../contracts/team-config';
import { toNumericTable, type NumericTable } from '../../../pipelines/common/tabular';
import { generateTransactions } from '../../../pipelines/datasets/card-fraud';
import { parseHyperparameters, trainingHyperparameters } from '../../../pipelines/trainer/hyperparameters';
import { trainModel, type TrainingResult } from '../../../pipelines/trainer/train';

export interface TrainedFraudModel extends TrainingResult {
  /** Unseen rows (features only, model order) from the same generator. */
  holdout: NumericTable;
}

/**
 * The model the project's own trainer makes for the example team: pipelines/teams/fraud.json's algorithm and
 * hyperparameters, trained on the example data (pipelines/datasets/card-fraud.ts). Deterministic: the same
 * arguments give byte-identical model files.
 */
export function trainFraudModel(options: { rows?: number; seed?: number } = {}): TrainedFraudModel {
  const root = join(__dirname, '..', '..', '..');
  const config = parseTeamConfig(JSON.parse(readFileSync(join(root, 'pipelines/teams/fraud.json'), 'utf8')));
  const dataset = generateTransactions({ rows: options.rows ?? 4000, seed: options.seed ?? 7 });
  const spec = { task: config.model.task, features: config.model.features, label: config.model.label };
  const table = (rows: number[][]) => toNumericTable([{ source: 'card-fraud', header: dataset.columns, rows }], spec);
  const trainEnd = Math.floor(dataset.rows.length * 0.7);
  const validationEnd = Math.floor(dataset.rows.length * 0.85);
  const result = trainModel(
    parseHyperparameters(trainingHyperparameters(config)),
    table(dataset.rows.slice(0, trainEnd)),
    table(dataset.rows.slice(trainEnd, validationEnd)),
    'example-data',
  );
  return { ...result, holdout: table(dataset.rows.slice(validationEnd)) };
}
