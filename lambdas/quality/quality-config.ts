import { z } from 'zod';
import { MODEL_TASKS } from '../../contracts/model-tasks';

/**
 * QUALITY_CONFIG of the quality job: the team config's `quality` section plus what the job needs of the model (task,
 * classes, feature names and label column, for the labelled rows it adds to the training data).
 */
export const qualityConfigSchema = z
  .object({
    /** Predictions captured, and label objects written, in the last this many hours are joined. */
    windowHours: z.number().int().min(1),
    /** Fewer labelled predictions of a version than this: its count is published, no quality measures. */
    minLabelled: z.number().int().min(1),
    task: z.enum(MODEL_TASKS),
    /**
     * Class labels in the order of the model's probability columns: a binary model's [negative, positive], a multiclass
     * model's classes. A label matches a class when their texts are equal (`1` and `"1"` are the same class).
     */
    classes: z.array(z.union([z.string(), z.number()])).min(2).optional(),
    /** Feature names in model order: the header of the labelled rows. */
    features: z.array(z.string().min(1)).min(1),
    /** The training data's label column: the last column of the labelled rows. */
    labelColumn: z.string().min(1),
    /**
     * Key prefix of the raw training dataset in the artifact store, where labelled rows are added under
     * `production-labels/`. @default - labelled rows are not added (the dataset is one object or outside the store)
     */
    trainingDatasetPrefix: z.string().endsWith('/').optional(),
    /** The version the inference tier serves when pinned outside the registry (EKS). @default - the registry's live version */
    servedVersion: z.number().int().min(1).optional(),
  })
  .superRefine((config, ctx) => {
    if (config.task === 'multiclass-classification' && (config.classes?.length ?? 0) < 3) {
      ctx.addIssue({ code: 'custom', path: ['classes'], message: 'a multiclass-classification model lists its 3 or more classes' });
    }
    if (config.task === 'binary-classification' && config.classes && config.classes.length !== 2) {
      ctx.addIssue({ code: 'custom', path: ['classes'], message: `a binary classifier has 2 classes [negative, positive], got ${config.classes.length}` });
    }
    if (config.task === 'regression' && config.classes) {
      ctx.addIssue({ code: 'custom', path: ['classes'], message: 'a regression model has no classes' });
    }
  });
export type QualityConfig = z.output<typeof qualityConfigSchema>;

/** The classes of a classifier: the config's, or the built-in trainer's binary labels [0, 1]. */
export function classesOf(config: QualityConfig): readonly (string | number)[] {
  return config.classes ?? [0, 1];
}
