/** The prediction tasks a model can have; the team config, the drift job and the trainer all name a task by these. */
export const MODEL_TASKS = ['binary-classification', 'multiclass-classification', 'regression'] as const;
export type ModelTask = (typeof MODEL_TASKS)[number];
