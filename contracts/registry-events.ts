/**
 * Registry events on the team's EventBridge bus: source, detail-type, version statuses and the detail.
 * Producers: the registry's stream publisher and event replay (lambdas/registry/registry-events.ts).
 * Consumers: the rules the constructs write on them (lib/model-registry.ts, lib/deployment-flow.ts,
 * lib/private/sagemaker-mirror.ts), the SageMaker mirror (lambdas/registry/sagemaker-mirror.ts) and the console's
 * status badges (console/src/lib/status.ts).
 */
import { z } from 'zod';

/** EventBridge source and detail-type of registry events on the team bus. */
export const REGISTRY_EVENT_SOURCE = 'mlops.registry';
export const REGISTRY_EVENT_DETAIL_TYPE = 'Model Version State Change';

/** SageMaker's own event, for teams that mirror versions to the SageMaker Model Registry. */
export const SAGEMAKER_EVENT_SOURCE = 'aws.sagemaker';
export const SAGEMAKER_EVENT_DETAIL_TYPE = 'SageMaker Model Package State Change';

export const VERSION_STATUSES = [
  'pending_approval',
  'approved',
  'rejected',
  'deploying',
  'live',
  'retired',
  'rolled_back',
] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];

/** SageMaker's ModelApprovalStatus for each of our statuses, so rules written for SageMaker carry over. */
export const SAGEMAKER_APPROVAL_STATUS: Record<VersionStatus, 'PendingManualApproval' | 'Approved' | 'Rejected'> = {
  pending_approval: 'PendingManualApproval',
  approved: 'Approved',
  rejected: 'Rejected',
  deploying: 'Approved',
  live: 'Approved',
  retired: 'Approved',
  rolled_back: 'Rejected',
};

/**
 * Detail of a registry event. The PascalCase fields mirror SageMaker's "Model Package State Change"
 * detail; the camelCase fields are ours.
 */
export const registryEventDetailSchema = z.object({
  ModelPackageGroupName: z.string(),
  ModelPackageVersion: z.number().int().positive(),
  ModelPackageArn: z.string(),
  ModelApprovalStatus: z.enum(['PendingManualApproval', 'Approved', 'Rejected']),
  CreationTime: z.string(),
  model: z.string(),
  version: z.number().int().positive(),
  status: z.enum(VERSION_STATUSES),
  previousStatus: z.enum(VERSION_STATUSES).nullable(),
  actor: z.string(),
  reason: z.string(),
  at: z.string(),
  /** For a rollback: the version that is live again. */
  restoredVersion: z.number().int().positive().optional(),
  /**
   * The audit row this event was published from: its id (consumers dedupe on it, as a replay republishes rows), its
   * position in the model's audit chain and its hash. Absent on events from rows written before the chain existed.
   */
  auditId: z.string().optional(),
  auditSeq: z.number().int().positive().optional(),
  auditHash: z.string().optional(),
});
export type RegistryEventDetail = z.infer<typeof registryEventDetailSchema>;
