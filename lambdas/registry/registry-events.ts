import type { PutEventsRequestEntry, PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import {
  REGISTRY_EVENT_DETAIL_TYPE,
  REGISTRY_EVENT_SOURCE,
  type RegistryEventDetail,
  registryEventDetailSchema,
  SAGEMAKER_APPROVAL_STATUS,
} from '../shared/registry-events';
import type { AuditRecord } from './schemas';

/** Where the function runs, taken from its own ARN, so event ARNs name the real partition, region and account. */
export interface ArnScope {
  partition: string;
  region: string;
  account: string;
}

/** `arn:<partition>:lambda:<region>:<account>:function:<name>` -> its scope. */
export function arnScopeOf(functionArn: string): ArnScope {
  const [, partition, , region, account] = functionArn.split(':');
  if (!partition || !region || !account) throw new Error(`expected a Lambda function ARN, got "${functionArn}"`);
  return { partition, region, account };
}

/**
 * The ARN a version would have as a SageMaker model package (group = model, version = version), so rules and
 * tooling written against SageMaker's events find the fields they expect.
 */
export const modelPackageArn = (scope: ArnScope, model: string, version: number) =>
  `arn:${scope.partition}:sagemaker:${scope.region}:${scope.account}:model-package/${model}/${version}`;

/** The event detail for one audit row (docs/architecture.md, lambdas/shared/registry-events.ts). */
export function registryEventDetail(audit: AuditRecord, scope: ArnScope): RegistryEventDetail {
  return registryEventDetailSchema.parse({
    ModelPackageGroupName: audit.model,
    ModelPackageVersion: audit.version,
    ModelPackageArn: modelPackageArn(scope, audit.model, audit.version),
    ModelApprovalStatus: SAGEMAKER_APPROVAL_STATUS[audit.to],
    CreationTime: audit.versionCreatedAt,
    model: audit.model,
    version: audit.version,
    status: audit.to,
    previousStatus: audit.from,
    actor: audit.actor,
    reason: audit.reason,
    at: audit.at,
    restoredVersion: audit.restoredVersion,
    auditId: audit.id,
    auditSeq: audit.seq,
    auditHash: audit.hash,
  });
}

export function registryEventEntry(detail: RegistryEventDetail, eventBusName: string): PutEventsRequestEntry {
  return {
    EventBusName: eventBusName,
    Source: REGISTRY_EVENT_SOURCE,
    DetailType: REGISTRY_EVENT_DETAIL_TYPE,
    Resources: [detail.ModelPackageArn],
    Time: new Date(detail.at),
    Detail: JSON.stringify(detail),
  };
}

/** PutEvents as a port: the SDK in the function, a recorder in tests (there is no EventBridge stand-in). */
export type PutEvents = (entries: PutEventsRequestEntry[]) => Promise<{ Entries?: PutEventsResultEntry[] }>;
