import type { PutEventsRequestEntry, PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import {
  REGISTRY_EVENT_DETAIL_TYPE,
  REGISTRY_EVENT_SOURCE,
  type RegistryEventDetail,
  registryEventDetailSchema,
  SAGEMAKER_APPROVAL_STATUS,
} from '../../contracts/registry-events';
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
const modelPackageArn = (scope: ArnScope, model: string, version: number) =>
  `arn:${scope.partition}:sagemaker:${scope.region}:${scope.account}:model-package/${model}/${version}`;

/** The event detail for one audit row (docs/architecture.md, contracts/registry-events.ts). */
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

/** PutEvents takes at most 10 entries per call. */
const PUT_EVENTS_BATCH = 10;

/** How far an in-order publish got: the count accepted, and the first entry not known to be published, if any. */
export interface InOrderPublish {
  published: number;
  failure?: { index: number; errorCode: string; errorMessage: string };
}

/**
 * Publishes `entries` in order, 10 per PutEvents call, and stops at the first entry EventBridge did not accept (an
 * error code, a missing result, or a failed call), so events of a model never go out of order and nothing after a
 * refused entry is sent before it.
 */
export async function publishInOrder(entries: readonly PutEventsRequestEntry[], putEvents: PutEvents): Promise<InOrderPublish> {
  for (let start = 0; start < entries.length; start += PUT_EVENTS_BATCH) {
    const batch = entries.slice(start, start + PUT_EVENTS_BATCH);
    let results: PutEventsResultEntry[];
    try {
      results = (await putEvents(batch)).Entries ?? [];
    } catch (err) {
      results = [{ ErrorCode: 'PutEventsFailed', ErrorMessage: (err as Error).message }];
    }
    // A result list shorter than the batch means EventBridge did not answer for the rest: not known to be published.
    const first = batch.findIndex((_, i) => results[i] === undefined || results[i].ErrorCode !== undefined);
    if (first === -1) continue;
    const result = results[first];
    return {
      published: start + first,
      failure: {
        index: start + first,
        errorCode: result?.ErrorCode ?? 'NoResult',
        errorMessage: result?.ErrorMessage ?? 'EventBridge returned no result for this entry',
      },
    };
  }
  return { published: entries.length };
}
