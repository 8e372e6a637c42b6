import { readFileSync, type Stats, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { type FileUnder, filesUnder } from '../files-under';
import type { TeamConfig } from '../../contracts/team-config';
import { CARD_FRAUD_FEATURES, CARD_FRAUD_LABEL, datasetToCsv, generateTransactions } from '../../pipelines/datasets/card-fraud';
import { type HoldoutTable, holdoutToRawCsv } from './holdout-replay';

/** One object the driver writes under the team's `training.datasetUri`. */
export interface DatasetObject {
  readonly fileName: string;
  readonly body: Uint8Array | string;
  readonly contentType: string;
}

/**
 * Where the twin's driver gets a team's raw data: the team's own file or directory of files (`--dataset`), or for the
 * example team only, the card-fraud generator. Newly labelled drifted data (added before the drift-triggered
 * retraining) comes from the same place: the generator draws drifted transactions with their labels; a team's data has
 * no labeller, so the shifted copy of the holdout rows (with their recorded labels) stands in for it.
 */
export interface TeamDataset {
  /** The data the first training run reads. */
  initial(): InitialData;
  /** Labelled data shaped like the drifted traffic, added under datasetUri so retraining sees new data. */
  drifted(shiftedHoldout: HoldoutTable, stamp: string): DriftedData;
}

/** New labelled data, one object. */
export interface DriftedData extends DatasetObject {
  /** What it holds, for the timeline. */
  readonly summary: string;
}

/** The first run's data: one object, or a directory's data files (each read only as it is uploaded). */
export interface InitialData {
  /** What it holds, for the timeline. */
  readonly summary: string;
  objects(): Iterable<DatasetObject>;
}

/** The team's dataset cannot be used, or there is none: the message says what to pass instead. */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

const CONTENT_TYPES: Record<string, string> = { '.csv': 'text/csv', '.parquet': 'application/vnd.apache.parquet' };
const contentTypeOf = (file: string): string | undefined => CONTENT_TYPES[extname(file).toLowerCase()];

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

/** The team's own file or directory if given; otherwise the generator for a card-fraud-shaped team; otherwise a DatasetError. */
export function teamDataset(config: TeamConfig, options: { file?: string; rows: number }): TeamDataset {
  if (options.file !== undefined) return fileDataset(config, options.file);
  if (isCardFraudShaped(config)) return generatedCardFraud(options.rows);
  const columns = [...config.model.features.map((f) => f.name), config.model.label].join(', ');
  throw new DatasetError(
    `team ${config.team} (model ${config.model.name}) needs its own data: pass --dataset <file.csv|file.parquet|directory> with the columns ${columns}. ` +
      'The generated card-fraud transactions fit only a model with the example team\'s features, so they are never uploaded for another team.',
  );
}

function fileDataset(config: TeamConfig, path: string): TeamDataset {
  let stat: Stats;
  try {
    stat = statSync(path);
  } catch {
    throw new DatasetError(`--dataset ${path}: no such file or directory`);
  }
  const initial = stat.isDirectory() ? directoryData(path) : fileData(path, stat);
  const stem = basename(path, extname(path));
  return {
    initial: () => initial,
    drifted: (shifted, stamp) => ({
      fileName: `${stem}-drifted-${stamp}.csv`,
      body: holdoutToRawCsv(shifted, config),
      contentType: 'text/csv',
      summary: `${shifted.labels.length} holdout rows with numeric features shifted (labels as recorded)`,
    }),
  };
}

const sizeText = (bytes: number) =>
  bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

function fileData(file: string, stat: Stats): InitialData {
  const contentType = contentTypeOf(file);
  if (!stat.isFile() || !contentType) throw new DatasetError(`--dataset ${file}: expected a .csv or .parquet file, or a directory of them`);
  if (stat.size === 0) throw new DatasetError(`--dataset ${file}: the file is empty`);
  const name = basename(file);
  return {
    summary: `${name} (${sizeText(stat.size)}, the team's own data)`,
    objects: () => [{ fileName: name, body: readFileSync(file), contentType }],
  };
}

/**
 * Every .csv and .parquet file under `directory`, at its path relative to it (a partitioned layout such as Spark's
 * `date=.../part-*.parquet` keeps its folders), in key order as the processing job reads them. Other files (a _SUCCESS
 * marker, a README) are skipped, as the processing job skips such objects under its prefix.
 */
function directoryData(directory: string): InitialData {
  const files: Array<FileUnder & { size: number; contentType: string }> = [];
  const skipped: string[] = [];
  for (const { path, key } of filesUnder(directory)) {
    const contentType = contentTypeOf(key);
    if (!contentType) {
      skipped.push(key);
      continue;
    }
    const { size } = statSync(path);
    if (size === 0) throw new DatasetError(`--dataset ${directory}: ${key} is empty`);
    files.push({ path, key, size, contentType });
  }
  if (files.length === 0) throw new DatasetError(`--dataset ${directory}: no .csv or .parquet files in the directory`);
  const total = files.reduce((sum, file) => sum + file.size, 0);
  const names = files.length <= 3 ? files.map((file) => file.key).join(', ') : `${files[0].key} ... ${files[files.length - 1].key}`;
  const others = skipped.length ? `; ${skipped.length} other ${skipped.length === 1 ? 'file' : 'files'} skipped: ${skipped.join(', ')}` : '';
  return {
    summary: `${files.length} files of the team's own data in ${basename(directory)}/ (${sizeText(total)}: ${names}${others})`,
    *objects() {
      for (const file of files) yield { fileName: file.key, body: readFileSync(file.path), contentType: file.contentType };
    },
  };
}

function generatedCardFraud(rows: number): TeamDataset {
  return {
    initial: () => ({
      summary: `${rows} generated labelled transactions`,
      objects: () => [{ fileName: 'transactions.csv', body: datasetToCsv(generateTransactions({ rows, seed: 7 })), contentType: 'text/csv' }],
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
