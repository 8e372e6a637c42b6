import { z } from 'zod';
import { ALGORITHMS, featureSchema, formatIssues, MODEL_TASKS, type TeamConfig } from '../../lib/team-config';

/**
 * The trainer's hyperparameters: one definition shared by the CDK TrainingPipeline construct (which writes them
 * into CreateTrainingJob's HyperParameters through `trainingHyperparameters`) and the trainer (which reads
 * /opt/ml/input/config/hyperparameters.json). SageMaker passes every value as a string, hence the coercion.
 */

/** SageMaker's limit on one hyperparameter value. */
export const MAX_HYPERPARAMETER_LENGTH = 2500;
/** Keys the platform sets from the team config; a team's `training.hyperparameters` may not use them. */
export const RESERVED_HYPERPARAMETERS = ['algorithm', 'task', 'label', 'features'] as const;

const jsonString = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON array of { "name", "type" } features' });
    return z.NEVER;
  }
});

export const hyperparametersSchema = z
  .object({
    algorithm: z.enum(ALGORITHMS).default('gradient-boosting'),
    task: z.enum(MODEL_TASKS),
    label: z.string().min(1),
    /** JSON of the model's features, in input order. */
    features: jsonString.pipe(z.array(featureSchema).min(1)),
    seed: z.coerce.number().int().min(0).max(0xffffffff).default(0),
    // gradient-boosting
    trees: z.coerce.number().int().min(1).max(5000).default(100),
    maxDepth: z.coerce.number().int().min(1).max(12).default(3),
    learningRate: z.coerce.number().gt(0).max(1).default(0.1),
    /** L2 penalty: on leaf values (trees) or standardised weights (logistic regression). */
    l2: z.coerce.number().min(0).default(1),
    minChildWeight: z.coerce.number().min(0).default(1),
    minSplitGain: z.coerce.number().min(0).default(0),
    maxBins: z.coerce.number().int().min(2).max(256).default(64),
    subsample: z.coerce.number().gt(0).max(1).default(0.8),
    // logistic-regression
    maxIterations: z.coerce.number().int().min(1).max(1000).default(100),
    tolerance: z.coerce.number().gt(0).default(1e-8),
  })
  .strict();
export type Hyperparameters = z.output<typeof hyperparametersSchema>;

export class HyperparameterError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid hyperparameters: ${problems.join('; ')}`);
    this.name = 'HyperparameterError';
  }
}

/** Validates SageMaker-style string hyperparameters; the error names every bad key. */
export function parseHyperparameters(raw: unknown): Hyperparameters {
  const result = hyperparametersSchema.safeParse(raw);
  if (!result.success) throw new HyperparameterError(formatIssues(result.error));
  return result.data;
}

/**
 * The training job's HyperParameters for a team: the team's own hyperparameters plus the model spec, every value
 * a string. Validated here so a bad config fails at synth time, not an hour into a pipeline run.
 */
export function trainingHyperparameters(config: TeamConfig): Record<string, string> {
  const own = config.training.hyperparameters;
  const reserved = RESERVED_HYPERPARAMETERS.filter((key) => key in own);
  if (reserved.length > 0) {
    throw new HyperparameterError(reserved.map((key) => `training.hyperparameters.${key}: is set from the team config`));
  }
  const hyperparameters: Record<string, string> = {
    ...Object.fromEntries(Object.entries(own).map(([key, value]) => [key, String(value)])),
    algorithm: config.training.algorithm,
    task: config.model.task,
    label: config.model.label,
    features: JSON.stringify(config.model.features),
  };
  const tooLong = Object.entries(hyperparameters).filter(([, value]) => value.length > MAX_HYPERPARAMETER_LENGTH);
  if (tooLong.length > 0) {
    throw new HyperparameterError(
      tooLong.map(([key, value]) => `${key}: ${value.length} characters, SageMaker allows ${MAX_HYPERPARAMETER_LENGTH}`),
    );
  }
  parseHyperparameters(hyperparameters);
  return hyperparameters;
}
