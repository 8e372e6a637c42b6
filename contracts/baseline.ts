/**
 * The drift baseline (baseline.json): statistics of the training data per feature.
 * Producers: the processing job (pipelines/processing/process.ts) and `mlops models register --onnx`
 * (bin/byom/external-model.ts), both through `computeBaseline` in lambdas/drift/baseline.ts.
 * Consumers: the drift job (lambdas/drift/drift-job.ts, compare.ts).
 */
import { z } from 'zod';

/**
 * Baseline statistics of the training data, written by the processing job (baseline.json) and compared
 * with captured traffic by the drift job. Computed by `computeBaseline` in lambdas/drift/.
 */
export const numericBaselineSchema = z.object({
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

export const baselineSchema = z.object({
  formatVersion: z.literal(1),
  rowCount: z.number().int().nonnegative(),
  features: z.array(z.discriminatedUnion('type', [numericBaselineSchema, categoricalBaselineSchema])),
  /** Absent for regression, and in baselines written before it existed. */
  target: targetBaselineSchema.optional(),
});
export type Baseline = z.infer<typeof baselineSchema>;
export type NumericBaseline = z.infer<typeof numericBaselineSchema>;
export type CategoricalBaseline = z.infer<typeof categoricalBaselineSchema>;
export type TargetBaseline = z.infer<typeof targetBaselineSchema>;
