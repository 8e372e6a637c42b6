/**
 * Key layout of the registry's DynamoDB table (docs/architecture.md); every reader and writer builds keys here.
 * Producers: the registry store (lambdas/registry/dynamodb-store.ts) and the retrain trigger's cooldown
 * (lambdas/drift/retrain-trigger.ts) write items at these keys.
 * Consumers: the same code reading them, and the IAM and resource policies that scope access by leading key
 * (lib/model-registry.ts, lib/private/registry-table-policy.ts).
 */
export const MODELS_INDEX = 'gsi1';
/** gsi1 partition holding every model item, so models are listed with a Query, not a Scan. */
export const MODELS_INDEX_PARTITION = 'MODELS';

export const modelPk = (model: string) => `MODEL#${model}`;
export const META_SK = 'META';
export const VERSION_PREFIX = 'VERSION#';
export const AUDIT_PREFIX = 'AUDIT#';
export const RUN_PREFIX = 'RUN#';

/** Zero-padded so versions sort numerically. */
export const versionSk = (version: number) => `${VERSION_PREFIX}${String(version).padStart(10, '0')}`;
/**
 * Audit rows live in their own partition, so IAM and the table's resource policy can tell them apart by leading key:
 * they are created once and never updated or deleted.
 */
export const auditPk = (model: string) => `${AUDIT_PREFIX}${model}`;
/** Zero-padded chain position, so a Query returns the trail in order. */
export const auditSk = (seq: number) => `${AUDIT_PREFIX}${String(seq).padStart(10, '0')}`;
export const runSk = (executionName: string) => `${RUN_PREFIX}${executionName}`;
export const tokenKey = (model: string, clientToken: string) => ({ pk: `TOKEN#${model}#${clientToken}`, sk: 'TOKEN' });
/** The drift retrain trigger's claim on a model's cooldown (lambdas/drift/retrain-trigger.ts); its own partition, so IAM can scope the trigger to it. */
export const cooldownKey = (model: string) => ({ pk: `COOLDOWN#${model}`, sk: 'RETRAIN' });
