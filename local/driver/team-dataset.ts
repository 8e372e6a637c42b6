import { readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { TeamConfig } from '../../contracts/team-config';
import { CARD_FRAUD_FEATURES, CARD_FRAUD_LABEL, datasetToCsv, generateTransactions } from '../../pipelines/datasets/card-fraud';
import { type HoldoutTable, holdoutToRawCsv } from './holdout-replay';

/** One object the driver writes under the team's `training.datasetUri`. */
export interface DatasetObject {
  readonly fileName: string;
  readonly body: Uint8Array | string;
  readonly contentType: string;
  /** What it holds, for the timeline. */
  readonly summary: string;
}

/**
 * Where the twin's driver gets a team's raw data: the team's own file (`--dataset`), or for the example team only,
 * the card-fraud generator. Newly labelled drifted data (added before the drift-triggered retraining) comes from
 * the same place: the generator draws drifted transactions with their labels; a team's file has no labeller, so the
 * shifted copy of the holdout rows (with their recorded labels) stands in for it.
 */
export interface TeamDataset {
  /** The data the first training run reads. */
  initial(): DatasetObject;
  /** Labelled data shaped like the drifted traffic, added under datasetUri so retraining sees new data. */
  drifted(shiftedHoldout: HoldoutTable, stamp: string): DatasetObject;
}

/** The team's dataset cannot be used, or there is none: the message says what to pass instead. */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

const CONTENT_TYPES: Record<string, string> = { '.csv': 'text/csv', '.parquet': 'application/vnd.apache.parquet' };

/**
 * True when the team's model reads exactly what the card-fraud generator writes (task, features in order with
 * their types, label): only then may generated transactions be its training data and traffic.
 */
export function isCardFraudShaped(config: TeamConfig): boolean {
  const { task, label, features } = config.model;
  return (
    task === 'binary-classification' &&
    label === CARD_FRAUD_LABEL &&
    features.length === CARD_FRAUD_FEATURES.length &&
    features.every((f, i) => f.name === CARD_FRAUD_FEATURES[i].name && f.type === CARD_FRAUD_FEATURES[i].type)
  );
}

/** The team's own file if given; otherwise the generator for a card-fraud-shaped team; otherwise a DatasetError. */
export function teamDataset(config: TeamConfig, options: { file?: string; rows: number }): TeamDataset {
  if (options.file !== undefined) return fileDataset(config, options.file);
  if (isCardFraudShaped(config)) return generatedCardFraud(options.rows);
  const columns = [...config.model.features.map((f) => f.name), config.model.label].join(', ');
  throw new DatasetError(
    `team ${config.team} (model ${config.model.name}) needs its own data: pass --dataset <file.csv|file.parquet> with the columns ${columns}. ` +
      'The generated card-fraud transactions fit only a model with the example team\'s features, so they are never uploaded for another team.',
  );
}

function fileDataset(config: TeamConfig, file: string): TeamDataset {
  const extension = extname(file).toLowerCase();
  const contentType = CONTENT_TYPES[extension];
  if (!contentType) throw new DatasetError(`--dataset ${file}: expected a .csv or .parquet file`);
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new DatasetError(`--dataset ${file}: not a file`);
    size = stat.size;
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    throw new DatasetError(`--dataset ${file}: no such file`);
  }
  if (size === 0) throw new DatasetError(`--dataset ${file}: the file is empty`);
  const name = basename(file);
  return {
    initial: () => ({ fileName: name, body: readFileSync(file), contentType, summary: `${name} (${(size / 1024).toFixed(1)} KiB, the team's own data)` }),
    drifted: (shifted, stamp) => ({
      fileName: `${basename(name, extname(name))}-drifted-${stamp}.csv`,
      body: holdoutToRawCsv(shifted, config),
      contentType: 'text/csv',
      summary: `${shifted.labels.length} holdout rows with numeric features shifted (labels as recorded)`,
    }),
  };
}

function generatedCardFraud(rows: number): TeamDataset {
  return {
    initial: () => ({
      fileName: 'transactions.csv',
      body: datasetToCsv(generateTransactions({ rows, seed: 7 })),
      contentType: 'text/csv',
      summary: `${rows} generated labelled transactions`,
    }),
    drifted: (_shifted, stamp) => {
      const count = Math.round(rows / 2);
      return {
        fileName: `transactions-${stamp}.csv`,
        body: datasetToCsv(generateTransactions({ rows: count, seed: 13, shift: 1 })),
        contentType: 'text/csv',
        summary: `${count} newly labelled drifted transactions from the generator`,
      };
    },
  };
}
