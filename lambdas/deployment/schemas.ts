import { z } from 'zod';

/** Inputs of the DeploymentFlow steps (lambdas/deployment/*.handler.ts). */

const target = {
  model: z.string().min(1),
  version: z.coerce.number().int().positive(),
  /** The Step Functions execution name, recorded as the actor `deployment:<execution>`. */
  execution: z.string().min(1).optional(),
};
const functionVersion = z.string().regex(/^\d+$/, 'functionVersion must be a published Lambda version number');

export const deploymentTargetSchema = z.object(target);
export const holdoutCheckInputSchema = z.object({ ...target, functionVersion });
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

export type DeploymentTarget = z.infer<typeof deploymentTargetSchema>;
export type ShiftTrafficInput = z.infer<typeof shiftTrafficInputSchema>;
export type RollbackInput = z.infer<typeof rollbackInputSchema>;
export type HoldoutCheckInput = z.infer<typeof holdoutCheckInputSchema>;
