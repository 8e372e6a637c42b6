import { createHash } from 'node:crypto';
import type {
  CreateModelPackageGroupInput,
  CreateModelPackageInput,
  UpdateModelPackageInput,
} from '@aws-sdk/client-sagemaker';
import { type RegistryEventDetail, SAGEMAKER_APPROVAL_STATUS } from '../../contracts/registry-events';
import type { VersionRecord } from './schemas';

/** SageMaker's limit on CustomerMetadataProperties entries. */
const MAX_CUSTOMER_METADATA = 50;

export type MirrorAction = { kind: 'create' } | { kind: 'update'; input: UpdateModelPackageInput } | { kind: 'skip'; reason: string };

/**
 * What to do in the SageMaker Model Registry for one of our registry events: create the package the first time a
 * version is seen, update its approval status when that changes (unless the version has moved on since the event),
 * and never echo a decision that came from SageMaker (that would loop through the sync function).
 */
export function mirrorAction(detail: RegistryEventDetail, version: VersionRecord): MirrorAction {
  if (detail.actor.startsWith('sagemaker:')) return { kind: 'skip', reason: 'the decision came from SageMaker' };
  if (!version.sageMakerModelPackageArn) return { kind: 'create' };
  const before = detail.previousStatus === null ? undefined : SAGEMAKER_APPROVAL_STATUS[detail.previousStatus];
  if (before === detail.ModelApprovalStatus) return { kind: 'skip', reason: `still ${detail.ModelApprovalStatus} in SageMaker terms` };
  // Events can arrive late or out of order (retries, DLQ redrives): an update to a status the version no longer
  // maps to would undo a newer decision in SageMaker, and the newer event carries the current status.
  const current = SAGEMAKER_APPROVAL_STATUS[version.status];
  if (detail.ModelApprovalStatus !== current) {
    return { kind: 'skip', reason: `stale event: v${version.version} is now ${version.status} (${current} in SageMaker terms)` };
  }
  return {
    kind: 'update',
    input: {
      ModelPackageArn: version.sageMakerModelPackageArn,
      ModelApprovalStatus: detail.ModelApprovalStatus,
      ApprovalDescription: `${detail.status} by ${detail.actor}: ${detail.reason}`.slice(0, 1024),
    },
  };
}

export const modelPackageGroupInput = (model: string): CreateModelPackageGroupInput => ({
  ModelPackageGroupName: model,
  ModelPackageGroupDescription: `Mirror of the mlops registry model "${model}"`,
});

/** CreateModelPackage for one version: its artifact, lineage and metrics, in SageMaker's fields. */
export function modelPackageInput(version: VersionRecord): CreateModelPackageInput {
  const metadata: Record<string, string> = {
    mlopsModel: version.model,
    mlopsVersion: String(version.version),
    artifactSha256: version.artifactSha256,
    ...(version.datasetUri ? { datasetUri: version.datasetUri } : {}),
    ...(version.datasetSha256 ? { datasetSha256: version.datasetSha256 } : {}),
    ...(version.primaryMetric ? { primaryMetric: version.primaryMetric } : {}),
    ...Object.fromEntries(
      Object.entries(version.metrics).flatMap(([split, metrics]) => Object.entries(metrics).map(([name, value]) => [`${split}.${name}`, String(value)])),
    ),
  };
  return {
    ModelPackageGroupName: version.model,
    ModelPackageDescription: (version.description ?? `${version.model} v${version.version}`).slice(0, 1024),
    // Same version, same token: a retried mirror does not create a second package.
    ClientToken: createHash('sha256').update(`${version.model}#${version.version}`).digest('hex').slice(0, 32),
    ModelApprovalStatus: SAGEMAKER_APPROVAL_STATUS[version.status],
    // A container image is required to describe inference; versions without one are mirrored for governance only.
    ...(version.image
      ? {
          InferenceSpecification: {
            Containers: [{ Image: version.image, ModelDataUrl: version.artifactUri }],
            SupportedContentTypes: ['application/json'],
            SupportedResponseMIMETypes: ['application/json'],
          },
        }
      : {}),
    MetadataProperties: {
      ...(version.codeVersion ? { CommitId: version.codeVersion.slice(0, 1024) } : {}),
      ...(version.executionName ? { GeneratedBy: version.executionName } : {}),
    },
    ...(version.baselineUri
      ? { DriftCheckBaselines: { ModelDataQuality: { Statistics: { ContentType: 'application/json', S3Uri: version.baselineUri } } } }
      : {}),
    CustomerMetadataProperties: Object.fromEntries(
      Object.entries(metadata)
        .slice(0, MAX_CUSTOMER_METADATA)
        .map(([k, v]) => [k.slice(0, 128), v.slice(0, 256)]),
    ),
  };
}
