import { z } from 'zod';

/** Inputs of the DeploymentFlow steps (lambdas/deployment/*.handler.ts). */

const target = {
  model: z.string().min(1),
  version: z.coerce.number().int().positive(),
  /** The Step Functions execution name: the deployment's owner, and the actor `deployment:<execution>` of its audit rows. */
  execution: z.string().min(1),
};
const functionVersion = z.string().regex(/^\d+$/, 'functionVersion must be a published Lambda version number');

export const deploymentTargetSchema = z.object(target);
/** The holdout check reads and invokes only; it does not need to know which execution owns the deployment. */
export const holdoutCheckInputSchema = z.object({ ...target, execution: target.execution.optional(), functionVersion });
export const shiftTrafficInputSchema = z.object({
  ...target,
  functionVersion,
  weightPercent: z.number().min(0).max(100),
});
export const rollbackInputSchema = z.object({
  ...target,
  /** The Catch's ResultPath content; absent when the flow restores after a rollback of the live version. */
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
});
export const watchCanaryInputSchema = z.object({
  ...target,
  functionVersion,
  /** When the canary started taking traffic (the Canary step's `shiftedAt`): the new version's metrics are read from then on. */
  since: z.iso.datetime(),
});

/** How a deployment execution ended, as the release step is told (by the status-change event, or by an abort). */
const ENDED_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/** A release asked for directly (by `mlops deployments abort` through DeploymentControl). */
const directReleaseSchema = z.object({
  model: z.string().min(1),
  execution: z.string().min(1),
  status: z.enum(ENDED_STATUSES),
  cause: z.string().max(2000).optional(),
});

/** EventBridge's "Step Functions Execution Status Change" event of a deployment that ended without finishing. */
const statusChangeEventSchema = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    name: z.string().min(1),
    status: z.enum(ENDED_STATUSES),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});

/** The release step's input, either form, as one shape (`model` comes from the function's MODEL_NAME for events). */
export const releaseInputSchema = z.union([directReleaseSchema, statusChangeEventSchema]);

export type DeploymentTarget = z.infer<typeof deploymentTargetSchema>;
export type ShiftTrafficInput = z.infer<typeof shiftTrafficInputSchema>;
export type RollbackInput = z.infer<typeof rollbackInputSchema>;
export type HoldoutCheckInput = z.infer<typeof holdoutCheckInputSchema>;
export type WatchCanaryInput = z.infer<typeof watchCanaryInputSchema>;
export type ReleaseInput = z.infer<typeof directReleaseSchema>;

/** Either form of release input as a direct release of `model`. */
export function asReleaseInput(input: z.infer<typeof releaseInputSchema>, model: string): ReleaseInput {
  if ('detail' in input) {
    const { name, status, error, cause } = input.detail;
    return { model, execution: name, status, cause: [error, cause].filter(Boolean).join(': ') || undefined };
  }
  return input;
}
