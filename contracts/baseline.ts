/**
 * The drift baseline (baseline.json): statistics of the training data per feature.
 * Producers: the processing job (pipelines/processing/process.ts) and `mlops models register --onnx`
 * (bin/byom/external-model.ts), both through `computeBaseline` in lambdas/drift/baseline.ts and `writeBaseline` in
 * lambdas/drift/baseline-objects.ts.
 * Consumers: the drift job (lambdas/drift/drift-job.ts, baseline-objects.ts, compare.ts).
 *
 * formatVersion 2 (written now) keeps each numeric feature's values for the KS test out of the JSON: sorted once, in a
 * binary object beside baseline.json (contracts/storage-layout.ts `baselineValuesPath`: `baseline/<feature>.f64`,
 * the feature name URI-encoded). The object is the values as little-endian IEEE 754 doubles, ascending, nothing else:
 * `count` * 8 bytes. baseline.json records its path (relative to baseline.json's folder), its count and its SHA-256,
 * and the drift job refuses an object that does not match them. formatVersion 1 (written before) kept a 10,000-value
 * sorted sample inline; the drift job still reads it.
 */
import { z } from 'zod';

const numericSummary = {
  name: z.string(),
  type: z.literal('numeric'),
  count: z.number().int().nonnegative(),
  mean: z.number(),
  std: z.number(),
  min: z.number(),
  max: z.number(),
  /** Distinct interior k/bins quantile edges, numpy "linear" (PSI bins are (-inf, e0], (e0, e1], ..., (ek, inf)). */
  binEdges: z.array(z.number()),
  /** Share of baseline values in each bin; binEdges.length + 1 entries. */
  binShares: z.array(z.number()),
};

/** Where a numeric feature's sorted values are, and what the drift job checks them against. */
export const sortedValuesRefSchema = z.object({
  /** Relative to baseline.json's folder: `baseline/<URI-encoded feature>.f64`; one level down, so it cannot leave it. */
  path: z.string().regex(/^baseline\/[^/]+\.f64$/, 'expected baseline/<feature>.f64'),
  /**
   * Values in the object: all of the feature's values up to the cap the baseline was computed with (1,000,000 by
   * default), else the order statistics at ranks floor((i + 0.5) * count / cap), i = 0..cap-1.
   */
  count: z.number().int().positive(),
  /** SHA-256 (hex) of the object's bytes. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits'),
});

/**
 * A numeric feature of a formatVersion 2 baseline: summary statistics, baseline quantile bins with their shares (PSI)
 * and the sorted values (KS) in their own object.
 */
export const numericBaselineSchema = z.object({ ...numericSummary, sortedValues: sortedValuesRefSchema });

/** A numeric feature of a formatVersion 1 baseline (read, no longer written). */
const numericBaselineV1Schema = z.object({
  ...numericSummary,
  /**
   * A deterministic, sorted sample of the values for the two-sample KS test: all values up to the sample
   * size (10,000 by default), else the order statistics at ranks floor((i + 0.5) * count / size).
   */
  sample: z.array(z.number()),
});

export const categoricalBaselineSchema = z.object({
  name: z.string(),
  type: z.literal('categorical'),
  count: z.number().int().nonnegative(),
  /** Count of each category code, keyed by its string form (String(value)). */
  counts: z.record(z.string(), z.number().int().nonnegative()),
});

/**
 * The label's class distribution in the training data (classifiers), which the drift job compares the predicted
 * classes with. Keys are the class labels as the team config writes them (`model.classes`), "0" and "1" for a
 * binary classifier; every class has a key.
 */
export const targetBaselineSchema = z.object({
  /** The label column. */
  name: z.string(),
  counts: z.record(z.string(), z.number().int().nonnegative()),
});

const baselineFields = {
  rowCount: z.number().int().nonnegative(),
  /** Absent for regression, and in baselines written before it existed. */
  target: targetBaselineSchema.optional(),
};

/** baseline.json as written now: numeric features' KS values in sorted binary objects beside it. */
export const baselineV2Schema = z.object({
  formatVersion: z.literal(2),
  ...baselineFields,
  features: z.array(z.discriminatedUnion('type', [numericBaselineSchema, categoricalBaselineSchema])),
});

/** baseline.json as written before the sorted objects: a sorted sample inline per numeric feature. */
const baselineV1Schema = z.object({
  formatVersion: z.literal(1),
  ...baselineFields,
  features: z.array(z.discriminatedUnion('type', [numericBaselineV1Schema, categoricalBaselineSchema])),
});

/** Every baseline.json the drift job reads. */
export const baselineSchema = z.discriminatedUnion('formatVersion', [baselineV1Schema, baselineV2Schema]);
export type Baseline = z.infer<typeof baselineSchema>;
export type BaselineV2 = z.infer<typeof baselineV2Schema>;
export type NumericBaseline = z.infer<typeof numericBaselineSchema>;
export type SortedValuesRef = z.infer<typeof sortedValuesRefSchema>;
export type CategoricalBaseline = z.infer<typeof categoricalBaselineSchema>;
export type TargetBaseline = z.infer<typeof targetBaselineSchema>;
