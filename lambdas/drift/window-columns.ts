import type { CaptureRecord } from '../../contracts/capture-record';
import type { CurrentColumn } from './compare';
import type { DriftConfig } from './drift-config';
import { predictedClassOf, type ClassCounts } from './prediction-drift';
import { countCategory } from './statistics/categorical';

/** A column of numbers that grows by doubling: 8 bytes a value, not a JSON record each. */
class GrowingColumn {
  private data = new Float64Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/**
 * What the drift job keeps of a capture window: for each of the served version's rows, its numeric feature values
 * (PSI and KS need them all), a count per category of its categorical features, and a count per predicted class.
 * Records of another model or version are passed over; a record of the version with the wrong number of features
 * is counted apart (the job logs it), not compared.
 */
export class WindowColumns {
  /** Rows of the version with the expected number of features. */
  rows = 0;
  /** Rows of the version whose feature count is not the model's. */
  wrongWidth = 0;
  /** Rows without a predicted class (a multiclass record with no label). */
  unclassified = 0;
  /** No prototype: a class may be called "constructor". */
  readonly predictedClasses: ClassCounts = Object.create(null) as ClassCounts;
  private readonly numeric = new Map<number, GrowingColumn>();
  private readonly categorical = new Map<number, Record<string, number>>();

  constructor(
    private readonly model: string,
    private readonly version: number,
    private readonly config: Pick<DriftConfig, 'features' | 'task'>,
  ) {
    config.features.forEach((feature, index) => {
      if (feature.type === 'numeric') this.numeric.set(index, new GrowingColumn());
      else this.categorical.set(index, {});
    });
  }

  /** Numeric feature values held: what the window's memory grows with (a category costs a count, whatever its rows). */
  get heldValues(): number {
    return this.rows * this.numeric.size;
  }

  add(record: CaptureRecord): void {
    if (record.modelVersion !== this.version) return;
    if (record.features.length !== this.config.features.length) {
      this.wrongWidth++;
      return;
    }
    if (record.model !== this.model) return;
    this.rows++;
    for (const [index, column] of this.numeric) column.push(record.features[index]);
    for (const [index, counts] of this.categorical) countCategory(counts, record.features[index]);
    const predicted = predictedClassOf(record, this.config.task);
    if (predicted === undefined) this.unclassified++;
    else this.predictedClasses[predicted] = (this.predictedClasses[predicted] ?? 0) + 1;
  }

  /** The columns in the model's feature order, as compareFeatures takes them. */
  columns(): CurrentColumn[] {
    return this.config.features.map((feature, index): CurrentColumn => {
      const numeric = this.numeric.get(index);
      return numeric
        ? { name: feature.name, type: 'numeric', values: numeric.values() }
        : { name: feature.name, type: 'categorical', counts: this.categorical.get(index)! };
    });
  }
}
