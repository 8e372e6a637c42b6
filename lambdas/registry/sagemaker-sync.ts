import { z } from 'zod';
import { SAGEMAKER_APPROVAL_STATUS, SAGEMAKER_EVENT_DETAIL_TYPE, SAGEMAKER_EVENT_SOURCE } from '../../contracts/registry-events';
import { IllegalTransitionError, NotFoundError } from './errors';
import type { ModelRegistry } from './registry';

/** The fields we use of SageMaker's "SageMaker Model Package State Change" event. */
export const sageMakerStateChangeSchema = z.object({
  source: z.literal(SAGEMAKER_EVENT_SOURCE),
  'detail-type': z.literal(SAGEMAKER_EVENT_DETAIL_TYPE),
  detail: z.object({
    ModelPackageGroupName: z.string(),
    ModelPackageArn: z.string(),
    ModelApprovalStatus: z.enum(['Approved', 'Rejected', 'PendingManualApproval']),
    ApprovalDescription: z.string().optional(),
    UpdatedBy: z.string().optional(),
    LastModifiedBy: z
      .object({ UserProfileName: z.string().optional(), IamIdentity: z.object({ Arn: z.string().optional() }).optional() })
      .optional(),
  }),
});
export type SageMakerStateChange = z.infer<typeof sageMakerStateChangeSchema>;

export type SyncOutcome =
  | { outcome: 'approved' | 'rejected' | 'unchanged'; model: string; version: number }
  | { outcome: 'ignored' | 'refused'; reason: string };

/**
 * Brings an approval or rejection made in the SageMaker Model Registry (its console's button) into ours.
 * Idempotent: a version already in the equivalent state is left alone. A decision our lifecycle forbids (e.g.
 * approving a rejected version) is refused and reported, not retried.
 */
export async function applySageMakerDecision(registry: ModelRegistry, event: SageMakerStateChange): Promise<SyncOutcome> {
  const { detail } = event;
  if (detail.ModelApprovalStatus === 'PendingManualApproval') return { outcome: 'ignored', reason: 'not a decision' };
  let versions;
  try {
    versions = await registry.listVersions(detail.ModelPackageGroupName);
  } catch (err) {
    if (err instanceof NotFoundError) return { outcome: 'ignored', reason: `no model "${detail.ModelPackageGroupName}" in the registry` };
    throw err;
  }
  const version = versions.find((v) => v.sageMakerModelPackageArn === detail.ModelPackageArn);
  if (!version) return { outcome: 'ignored', reason: `${detail.ModelPackageArn} is not mirrored from this registry` };
  const { model } = version;
  if (SAGEMAKER_APPROVAL_STATUS[version.status] === detail.ModelApprovalStatus) return { outcome: 'unchanged', model, version: version.version };
  const who = detail.UpdatedBy ?? detail.LastModifiedBy?.UserProfileName ?? detail.LastModifiedBy?.IamIdentity?.Arn ?? detail.ModelPackageArn;
  const decision = {
    actor: `sagemaker:${who}`,
    reason: detail.ApprovalDescription ?? `${detail.ModelApprovalStatus.toLowerCase()} in the SageMaker Model Registry`,
  };
  try {
    if (detail.ModelApprovalStatus === 'Approved') {
      await registry.approve(model, version.version, decision);
      return { outcome: 'approved', model, version: version.version };
    }
    await registry.reject(model, version.version, decision);
    return { outcome: 'rejected', model, version: version.version };
  } catch (err) {
    if (err instanceof IllegalTransitionError) return { outcome: 'refused', reason: err.message };
    throw err;
  }
}
