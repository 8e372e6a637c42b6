import type { BaselineV2, CategoricalBaseline, NumericBaseline, TargetBaseline } from '../../contracts/baseline';
import { baselineValuesPath } from '../../contracts/storage-layout';
import { encodeSortedValues } from './baseline-objects';
import { categoryCounts } from './statistics/categorical';
import { sortedCopy } from './statistics/ks';
import { binCountsSorted, DEFAULT_PSI_BINS, quantileBinEdges, sharesOf } from './statistics/psi';

/**
 * Values kept per numeric feature for the KS test in the drift job: 8 MB a feature at most, read and checked in tens
 * of milliseconds. Up to it the drift job tests against the training data itself; above it against order statistics
 * whose empirical CDF is within 1 / 1,000,000 of the training data's at every point.
 */
const DEFAULT_SORTED_VALUES_CAP = 1_000_000;

export interface BaselineColumn {
  name: string;
  type: 'numeric' | 'categorical';
  values: ArrayLike<number>;
}

export interface BaselineOptions {
  /** Quantile bins for PSI. @default 10 (deciles) */
  bins?: number;
  /** Most values stored sorted per numeric feature for the KS test; more are thinned to evenly spaced order statistics. @default 1,000,000 */
  sortedValuesCap?: number;
}

/** A sorted-values object of a baseline: where baseline.json says it is, and its bytes. */
export interface BaselineObject {
  /** Relative to baseline.json's folder (contracts/storage-layout.ts `baselineValuesPath`). */
  path: string;
  body: Uint8Array;
}

/** What a baseline is written as: baseline.json's document and the objects it refers to (written first). */
export interface BaselineArtifacts {
  document: BaselineV2;
  objects: BaselineObject[];
}

/** A value the baseline cannot describe; names the feature and the row. */
class BaselineInputError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BaselineInputError';
  }
}

/**
 * A deterministic sample of an ascending array: the order statistics at evenly spaced ranks
 * floor((i + 0.5) * n / size), i = 0..size-1, or the array itself when it has no more than size values.
 * It is itself ascending, needs no random seed, and the same training data always gives the same baseline.
 */
export function evenlySpacedSample(sorted: Float64Array, size: number): Float64Array {
  const n = sorted.length;
  if (n <= size) return sorted;
  const sample = new Float64Array(size);
  for (let i = 0; i < size; i++) sample[i] = sorted[Math.floor(((i + 0.5) * n) / size)];
  return sample;
}

function numericBaseline(column: BaselineColumn, bins: number, cap: number): { feature: NumericBaseline; object: BaselineObject } {
  const { values, name } = column;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) throw new BaselineInputError(`feature "${name}": row ${i} is not a finite number (${v})`);
    sum += v;
  }
  const sorted = sortedCopy(values);
  const n = sorted.length;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (sorted[i] - mean) ** 2;
  const binEdges = quantileBinEdges(sorted, bins);
  const kept = evenlySpacedSample(sorted, cap);
  const { body, sha256 } = encodeSortedValues(kept);
  const path = baselineValuesPath(name);
  return {
    feature: {
      name,
      type: 'numeric',
      count: n,
      mean,
      std: Math.sqrt(squares / n),
      min: sorted[0],
      max: sorted[n - 1],
      binEdges,
      binShares: sharesOf(binCountsSorted(sorted, binEdges)),
      sortedValues: { path, count: kept.length, sha256 },
    },
    object: { path, body },
  };
}

function categoricalBaseline(column: BaselineColumn): CategoricalBaseline {
  const { values, name } = column;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new BaselineInputError(`feature "${name}": row ${i} is not a category code (${values[i]})`);
  }
  return { name, type: 'categorical', count: values.length, counts: categoryCounts(values) };
}

/**
 * Per-feature baseline statistics of the training data: for numeric features the summary, baseline quantile bins with
 * their shares (for PSI) and the values sorted once, in an object of their own (for KS); for categorical features the
 * count of each category (for chi-squared and PSI).
 */
export function computeBaseline(columns: BaselineColumn[], options: BaselineOptions = {}): BaselineArtifacts {
  const bins = options.bins ?? DEFAULT_PSI_BINS;
  const cap = options.sortedValuesCap ?? DEFAULT_SORTED_VALUES_CAP;
  if (!Number.isInteger(bins) || bins < 2) throw new BaselineInputError(`bins must be an integer >= 2, got ${bins}`);
  if (!Number.isInteger(cap) || cap < 1) throw new BaselineInputError(`sortedValuesCap must be a positive integer, got ${cap}`);
  const rowCount = columns[0]?.values.length ?? 0;
  const paths = new Map<string, string>();
  for (const column of columns) {
    if (column.values.length !== rowCount) {
      throw new BaselineInputError(`feature "${column.name}" has ${column.values.length} values, expected ${rowCount} like "${columns[0].name}"`);
    }
    if (column.values.length === 0) throw new BaselineInputError(`feature "${column.name}" has no values`);
    const path = baselineValuesPath(column.name);
    if (paths.has(path)) throw new BaselineInputError(`feature "${column.name}" appears twice`);
    paths.set(path, column.name);
  }
  const objects: BaselineObject[] = [];
  const features = columns.map((column) => {
    if (column.type === 'categorical') return categoricalBaseline(column);
    const { feature, object } = numericBaseline(column, bins, cap);
    objects.push(object);
    return feature;
  });
  return { document: { formatVersion: 2, rowCount, features }, objects };
}

/**
 * The training labels' class distribution: `labels` are class indices into `classes` (the team's classes, or
 * [0, 1] for a binary classifier), counted under each class's String() so every class has a key, 0 included.
 */
export function targetBaseline(name: string, labels: ArrayLike<number>, classes: readonly (string | number)[]): TargetBaseline {
  const counts = new Array<number>(classes.length).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const k = labels[i];
    if (!Number.isInteger(k) || k < 0 || k >= classes.length) {
      throw new BaselineInputError(`label "${name}": row ${i} is not a class index 0..${classes.length - 1} (${k})`);
    }
    counts[k]++;
  }
  return { name, counts: Object.fromEntries(classes.map((c, k) => [String(c), counts[k]])) };
}
