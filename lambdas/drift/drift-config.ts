import { z } from 'zod';
import { DEFAULT_BYTES_PER_CHUNK } from '../../contracts/drift-summary';
import { MODEL_TASKS } from '../../contracts/model-tasks';

/**
 * Thresholds of the drift verdicts, with the defaults the CLI and the job share.
 * - psiCritical: a feature whose PSI reaches it has drifted (0.25 is the usual "major shift").
 * - alpha: significance level of the KS and chi-squared tests.
 * - minKsStatistic: with thousands of rows the KS test finds trivial differences significant, so a
 *   feature counts as drifted by KS only if D, the largest gap between the two CDFs, is also at least this.
 * - minEffectSize: the same guard for chi-squared, on Cohen's w = sqrt(chi2 / n) (0.1 = "small effect").
 * - driftedFeatureShare: the dataset has drifted when at least this share of the features has.
 */
export const driftThresholdsSchema = z.object({
  psiWarning: z.number().min(0).default(0.1),
  psiCritical: z.number().min(0).default(0.25),
  alpha: z.number().gt(0).lt(1).default(0.01),
  minKsStatistic: z.number().min(0).max(1).default(0.1),
  minEffectSize: z.number().min(0).default(0.1),
  driftedFeatureShare: z.number().gt(0).max(1).default(0.3),
});
export type DriftThresholds = z.output<typeof driftThresholdsSchema>;
export const DEFAULT_DRIFT_THRESHOLDS: DriftThresholds = driftThresholdsSchema.parse({});

/** DRIFT_CONFIG of the drift job: the team config's drift section plus the model's task, classes and features. */
export const driftConfigSchema = z
  .object({
    windowHours: z.number().int().min(1),
    minSamples: z.number().int().min(1),
    psi: z.object({ warning: z.number().min(0).optional(), critical: z.number().min(0).optional() }).default({}),
    driftedFeatureShare: z.number().gt(0).max(1),
    features: z.array(z.object({ name: z.string().min(1), type: z.enum(['numeric', 'categorical']) })).min(1),
    /** KS and chi-squared significance level. @default 0.01 */
    alpha: z.number().gt(0).lt(1).optional(),
    /** @default 0.1 */
    minKsStatistic: z.number().min(0).max(1).optional(),
    /** @default 0.1 */
    minEffectSize: z.number().min(0).optional(),
    /**
     * The version the inference tier serves when it is pinned outside the registry (EKS: the team config's
     * `inference.modelVersion`, rolled out by deploying the stack). @default - the registry's live version
     */
    servedVersion: z.number().int().min(1).optional(),
    /** The model's task: a classifier's predicted classes are compared with the training labels' class mix. */
    task: z.enum(MODEL_TASKS),
    /** Class labels of a multiclass model (the team config's `model.classes`), in the order of its probability columns. */
    classes: z.array(z.union([z.string(), z.number()])).min(3).optional(),
    /**
     * Capture object bytes (as stored) summarized by one function: a window of more is split into chunks of whole
     * objects, summarized by the drift state machine's Distributed Map. @default 64 MiB
     */
    bytesPerChunk: z.number().int().min(1).default(DEFAULT_BYTES_PER_CHUNK),
  })
  .superRefine((config, ctx) => {
    if (config.task === 'multiclass-classification' && !config.classes) {
      ctx.addIssue({ code: 'custom', path: ['classes'], message: 'a multiclass-classification model lists its classes' });
    }
  });
export type DriftConfig = z.output<typeof driftConfigSchema>;

/** The verdict thresholds of a DRIFT_CONFIG, defaults filled in. */
export function thresholdsOf(config: DriftConfig): DriftThresholds {
  return driftThresholdsSchema.parse({
    psiWarning: config.psi.warning,
    psiCritical: config.psi.critical,
    alpha: config.alpha,
    minKsStatistic: config.minKsStatistic,
    minEffectSize: config.minEffectSize,
    driftedFeatureShare: config.driftedFeatureShare,
  });
}
