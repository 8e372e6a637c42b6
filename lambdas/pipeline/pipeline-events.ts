import { z } from 'zod';
import { principalSchema } from '../registry/caller';
import { metricsSchema } from '../registry/schemas';

/**
 * Inputs of the training pipeline's registry steps (lambdas/pipeline/register.handler.ts and
 * record-failure.handler.ts), as the TrainingPipeline state machine passes them.
 */
export const pipelineRegisterEventSchema = z
  .object({
    /** The Step Functions execution name; also the registration's client token, so a retried Register is idempotent. */
    executionName: z.string().min(1).max(80),
    model: z.string(),
    artifactUri: z.string(),
    artifactSha256: z.string(),
    metrics: metricsSchema,
    primaryMetric: z.string().optional(),
    datasetUri: z.string().optional(),
    datasetSha256: z.string().optional(),
    baselineUri: z.string().optional(),
    holdoutUri: z.string().optional(),
    codeVersion: z.string().optional(),
    image: z.string().optional(),
    /** True when the evaluation gate auto-approves: the version is registered and approved in one step. */
    approve: z.boolean(),
    /**
     * The person whose approval API request started the run; they may not approve the version it registers. `{}` when
     * nobody requested it through the API (a scheduled or drift-triggered run).
     */
    requestedBy: z.union([principalSchema, z.object({}).strict().transform(() => undefined)]).optional(),
  })
  .strict();

export const pipelineFailureEventSchema = z.object({
  executionName: z.string().min(1).max(80),
  model: z.string(),
  /** The Catch's ResultPath content: Step Functions' error name and cause. */
  error: z.object({ Error: z.string().default('Unknown'), Cause: z.string().default('') }),
});
