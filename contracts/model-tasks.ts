/**
 * The prediction tasks a model can have.
 * Producers: a team's config (pipelines/teams/<team>.json, `model.task`) and the trainer's metadata.json
 * (pipelines/trainer/).
 * Consumers: the trainer and evaluation (pipelines/), the drift job's config (lambdas/drift/drift-config.ts).
 */
/** The prediction tasks a model can have; the team config, the drift job and the trainer all name a task by these. */
export const MODEL_TASKS = ['binary-classification', 'multiclass-classification', 'regression'] as const;
/** One of {@link MODEL_TASKS}. */
export type ModelTask = (typeof MODEL_TASKS)[number];
