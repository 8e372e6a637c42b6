import type { CaptureRecord } from '../../contracts/capture-record';
import type { ReadLabel } from './label-objects';
import { classesOf, type QualityConfig } from './quality-config';

/** One version's labelled predictions, column by column (what the quality measures take). */
export interface VersionRows {
  /** The true class index (classification) or observed value (regression), per row. */
  truths: number[];
  /** The positive class's probability (binary) or predicted value (regression), per row. */
  predictions: number[];
  /** Every class probability, row-major (multiclass). */
  probabilities: number[];
}

/** A labelled production row for the training data: the captured features and the true label, as the label gave it. */
export interface LabelledRow {
  predictionId: string;
  features: number[];
  label: string | number;
  labelObjectKey: string;
  modelVersion: number;
}

/**
 * Joins captured predictions to labels by prediction id, per model version (a canary's requests are measured against
 * the version that answered them). Should a label join captured rows of several versions (the same request captured
 * twice), each version is measured on it. What does not join is counted: labels whose id no captured row of the window has (unknown, not sampled for
 * capture, or older than the window) and labels that are not a class (or, for a regressor, a number) of the model.
 */
export class JoinedPredictions {
  readonly versions = new Map<number, VersionRows>();
  /** One row per joined label (the first captured row of its id), for the training data. */
  readonly labelledRows: LabelledRow[] = [];
  private readonly matched = new Set<string>();
  private readonly unusable = new Set<string>();
  private readonly classIndex: Map<string, number>;

  constructor(
    private readonly labels: ReadonlyMap<string, ReadLabel>,
    private readonly config: QualityConfig,
  ) {
    this.classIndex = new Map(config.task === 'regression' ? [] : classesOf(config).map((label, k) => [String(label), k]));
  }

  add(record: CaptureRecord): void {
    const id = record.predictionId;
    const label = id === undefined ? undefined : this.labels.get(id);
    if (id === undefined || label === undefined) return;
    const truth = this.truthOf(label.label);
    if (truth === undefined) {
      this.unusable.add(id);
      return;
    }
    if (this.config.task === 'multiclass-classification' && record.probabilities?.length !== this.classIndex.size) return;
    let rows = this.versions.get(record.modelVersion);
    if (!rows) this.versions.set(record.modelVersion, (rows = { truths: [], predictions: [], probabilities: [] }));
    rows.truths.push(truth);
    rows.predictions.push(record.prediction);
    if (record.probabilities) rows.probabilities.push(...record.probabilities);
    if (!this.matched.has(id)) {
      this.matched.add(id);
      this.labelledRows.push({ predictionId: id, features: record.features, label: label.label, labelObjectKey: label.objectKey, modelVersion: record.modelVersion });
    }
  }

  /** Labels that joined no captured prediction of the window. */
  get unmatchedLabels(): number {
    return this.labels.size - this.matched.size - this.unusable.size;
  }

  /** Labels that joined a prediction but are no class of the model (or, for a regressor, no number). */
  get unusableLabels(): number {
    return this.unusable.size;
  }

  /** Up to `limit` ids of labels that joined nothing, for the report. */
  unmatchedExamples(limit: number): string[] {
    const examples: string[] = [];
    for (const id of this.labels.keys()) {
      if (examples.length >= limit) break;
      if (!this.matched.has(id) && !this.unusable.has(id)) examples.push(id);
    }
    return examples;
  }

  private truthOf(label: string | number): number | undefined {
    if (this.config.task === 'regression') return typeof label === 'number' ? label : undefined;
    return this.classIndex.get(String(label));
  }
}
