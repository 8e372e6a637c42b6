import { z } from 'zod';
import { ALGORITHMS, featureSchema, formatIssues, MODEL_TASKS, type TeamConfig } from '../../contracts/team-config';

/**
 * The training job's hyperparameters: one definition shared by the CDK TrainingPipeline construct (which writes them
 * into CreateTrainingJob's HyperParameters through `trainingHyperparameters`), the built-in trainer (which reads
 * /opt/ml/input/config/hyperparameters.json) and a team's own container (docs/container-contract.md). SageMaker
 * passes every value as a string, hence the coercion.
 */

/** SageMaker's limits on CreateTrainingJob's HyperParameters: entries, key length, value length. */
export const MAX_HYPERPARAMETERS = 100;
export const MAX_HYPERPARAMETER_KEY_LENGTH = 256;
export const MAX_HYPERPARAMETER_LENGTH = 2500;
/**
 * Keys the platform sets from the team config; a team's `training.hyperparameters` may not use them. Containers get
 * all but `algorithm` (the built-in trainer's choice); `classes` only for a multiclass model.
 */
export const RESERVED_HYPERPARAMETERS = ['algorithm', 'task', 'label', 'features', 'classes'] as const;

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
 * The training job's HyperParameters for a team, every value a string: the team's own `training.hyperparameters`
 * plus the model spec (task, label, features as JSON, classes as JSON for multiclass), plus `algorithm` for the
 * built-in trainer. Checked against SageMaker's limits here, and the built-in trainer's against its schema, so a bad
 * config fails at synth time, not an hour into a pipeline run. A container's own keys are the team's to interpret.
 */
export function trainingHyperparameters(config: TeamConfig): Record<string, string> {
  const own = config.training.hyperparameters;
  const reserved = RESERVED_HYPERPARAMETERS.filter((key) => key in own);
  if (reserved.length > 0) {
    throw new HyperparameterError(reserved.map((key) => `training.hyperparameters.${key}: is set from the team config`));
  }
  const builtIn = config.training.container === undefined;
  const hyperparameters: Record<string, string> = {
    ...Object.fromEntries(Object.entries(own).map(([key, value]) => [key, String(value)])),
    ...(builtIn ? { algorithm: config.training.algorithm } : {}),
    task: config.model.task,
    label: config.model.label,
    features: JSON.stringify(config.model.features),
    ...(config.model.classes ? { classes: JSON.stringify(config.model.classes) } : {}),
  };
  const problems = sageMakerLimitProblems(hyperparameters, new Set(Object.keys(own)));
  if (problems.length > 0) throw new HyperparameterError(problems);
  if (builtIn) parseHyperparameters(hyperparameters);
  return hyperparameters;
}

/** SageMaker refuses a CreateTrainingJob over these limits; each problem names the config field it comes from. */
function sageMakerLimitProblems(hyperparameters: Record<string, string>, teamKeys: ReadonlySet<string>): string[] {
  const field = (key: string) => (teamKeys.has(key) ? `training.hyperparameters.${key}` : `${key} (from the team's model section)`);
  const problems: string[] = [];
  const count = Object.keys(hyperparameters).length;
  if (count > MAX_HYPERPARAMETERS) {
    problems.push(`training.hyperparameters: ${count} hyperparameters with the ones the platform sets, SageMaker allows ${MAX_HYPERPARAMETERS}`);
  }
  for (const [key, value] of Object.entries(hyperparameters)) {
    if (key.length > MAX_HYPERPARAMETER_KEY_LENGTH) {
      problems.push(`${field(key)}: the name has ${key.length} characters, SageMaker allows ${MAX_HYPERPARAMETER_KEY_LENGTH}`);
    }
    if (value.length > MAX_HYPERPARAMETER_LENGTH) {
      problems.push(`${field(key)}: ${value.length} characters, SageMaker allows ${MAX_HYPERPARAMETER_LENGTH}`);
    }
  }
  return problems;
}
