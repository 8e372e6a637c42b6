import { z } from 'zod';
import { TaskError } from '../states/task-error';

const keyValueSchema = z.object({ Name: z.string().min(1), Value: z.string() });

/** Batch's limits on an EvaluateOnExit condition: digits with an optional trailing `*` for the exit code. */
const evaluateOnExitSchema = z
  .object({
    // Batch takes the action in any case ("retry", "EXIT").
    Action: z.string().transform((action) => action.toUpperCase()).pipe(z.enum(['RETRY', 'EXIT'])),
    OnExitCode: z.string().regex(/^[0-9]*\*?$/, 'digits, optionally ending with "*"').max(512).optional(),
    OnReason: z.string().max(512).optional(),
    OnStatusReason: z.string().max(512).optional(),
  })
  .loose()
  .refine((entry) => entry.OnExitCode !== undefined || entry.OnReason !== undefined || entry.OnStatusReason !== undefined, {
    message: 'an EvaluateOnExit entry needs OnExitCode, OnReason or OnStatusReason',
  });

/** A job definition's or a submission's RetryStrategy (the same shape in CloudFormation and in SubmitJob). */
export const retryStrategySchema = z
  .object({
    Attempts: z.number().int().min(1).max(10).default(1),
    EvaluateOnExit: z.array(evaluateOnExitSchema).max(5).default([]),
  })
  .loose();

export type RetryStrategy = z.infer<typeof retryStrategySchema>;

/** The `batch:submitJob.sync` parameters the twin uses, with Batch's own limits; other fields pass through. */
export const submitJobRequestSchema = z
  .object({
    JobDefinition: z.string().min(1),
    JobName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/, 'up to 128 letters, digits, hyphens and underscores, starting with a letter or digit').optional(),
    JobQueue: z.string().default(''),
    Parameters: z.record(z.string(), z.string()).default({}),
    ContainerOverrides: z
      .object({ Command: z.array(z.string()).optional(), Environment: z.array(keyValueSchema).default([]) })
      .loose()
      .default({ Environment: [] }),
    ArrayProperties: z.object({ Size: z.number().int().min(2, 'an array job has 2 to 10,000 children').max(10_000, 'an array job has 2 to 10,000 children') }).loose().optional(),
    RetryStrategy: retryStrategySchema.optional(),
    DependsOn: z.array(z.object({ JobId: z.string().optional(), Type: z.enum(['N_TO_N', 'SEQUENTIAL']).optional() }).loose()).default([]),
  })
  .loose();

export type SubmitJobRequest = z.infer<typeof submitJobRequestSchema>;

/**
 * The task's parameters as Batch would accept them, or the ClientException Batch would answer. Job dependencies are
 * refused by name: a `.sync` submission runs to its end before the next state, and the twin does not order array
 * children (SEQUENTIAL) or pair them with another array's (N_TO_N).
 */
export function parseSubmitJobRequest(parameters: unknown): SubmitJobRequest {
  const parsed = submitJobRequestSchema.safeParse(parameters);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(request)'}: ${issue.message}`);
    throw new TaskError('Batch.ClientException', problems.join('; '));
  }
  const [dependency] = parsed.data.DependsOn;
  if (dependency) {
    const what =
      dependency.Type === 'SEQUENTIAL'
        ? 'a SEQUENTIAL dependency (array children run one after another, in index order)'
        : dependency.Type === 'N_TO_N'
          ? 'an N_TO_N dependency (each array child waits for the same index of another array job)'
          : `a dependency on job ${dependency.JobId ?? '(no JobId)'}`;
    throw new TaskError(
      'States.Runtime',
      `batch:submitJob.sync with DependsOn: the twin does not run ${what}; it runs array children at most a few at a time in no set order. Chain the jobs as states instead, or remove DependsOn`,
    );
  }
  return parsed.data;
}
