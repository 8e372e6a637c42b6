import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelRegistry } from '../../../lambdas/registry/registry';
import { arnScopeOf, registryEventDetail } from '../../../lambdas/registry/registry-events';
import { mirrorAction, modelPackageInput } from '../../../lambdas/registry/sagemaker-mirror';
import { applySageMakerDecision, type SageMakerStateChange } from '../../../lambdas/registry/sagemaker-sync';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { registration, registryOn, sha } from './fixtures';

let dynamo: LocalDynamo;
let registry: ModelRegistry;
const arn = (n: number) => `arn:aws:sagemaker:eu-west-1:123456789012:model-package/card-fraud/${n}`;
const scope = arnScopeOf('arn:aws:lambda:eu-west-1:123456789012:function:mirror');

beforeAll(async () => {
  dynamo = await startDynalite();
  registry = registryOn(dynamo);
  for (const n of [1, 2, 3]) {
    await registry.register(registration('card-fraud', n), 'pipeline:test');
    await registry.annotate('card-fraud', n, { sageMakerModelPackageArn: arn(n) });
  }
});
afterAll(() => dynamo.stop());

const stateChange = (n: number, status: 'Approved' | 'Rejected', extra: object = {}): SageMakerStateChange => ({
  source: 'aws.sagemaker',
  'detail-type': 'SageMaker Model Package State Change',
  detail: { ModelPackageGroupName: 'card-fraud', ModelPackageArn: arn(n), ModelApprovalStatus: status, ...extra },
});

describe('SageMaker approvals flow back', () => {
  it('approves the mirrored version as the SageMaker user, once', async () => {
    const first = await applySageMakerDecision(registry, stateChange(1, 'Approved', { UpdatedBy: 'dana', ApprovalDescription: 'reviewed in Studio' }));
    expect(first).toEqual({ outcome: 'approved', model: 'card-fraud', version: 1 });
    expect(await applySageMakerDecision(registry, stateChange(1, 'Approved'))).toEqual({ outcome: 'unchanged', model: 'card-fraud', version: 1 });
    const { audit } = await registry.getVersionDetail('card-fraud', 1);
    expect(audit.filter((a) => a.to === 'approved')).toEqual([expect.objectContaining({ actor: 'sagemaker:dana', reason: 'reviewed in Studio' })]);
  });

  it('rejects, naming the package when SageMaker does not say who', async () => {
    expect(await applySageMakerDecision(registry, stateChange(2, 'Rejected'))).toMatchObject({ outcome: 'rejected' });
    expect((await registry.getVersionDetail('card-fraud', 2)).audit.at(-1)).toMatchObject({ actor: `sagemaker:${arn(2)}` });
  });

  it('refuses what the lifecycle forbids and ignores packages it does not know', async () => {
    expect(await applySageMakerDecision(registry, stateChange(2, 'Approved'))).toEqual({
      outcome: 'refused',
      reason: 'cannot move card-fraud v2 from rejected to approved; from rejected the allowed next statuses are: none (final status)',
    });
    expect(await applySageMakerDecision(registry, stateChange(9, 'Approved'))).toMatchObject({ outcome: 'ignored' });
    const other = stateChange(1, 'Approved');
    other.detail.ModelPackageGroupName = 'unknown-group';
    expect(await applySageMakerDecision(registry, other)).toEqual({ outcome: 'ignored', reason: 'no model "unknown-group" in the registry' });
  });
});

describe('mirroring to SageMaker', () => {
  const audit = (from: 'pending_approval' | null, to: 'pending_approval' | 'approved', actor = 'alice') => ({
    model: 'card-fraud', version: 3, from, to, actor, reason: 'ok', at: '2026-01-01T00:00:00.000Z', versionCreatedAt: '2026-01-01T00:00:00.000Z', id: 'x',
    seq: 1, prevHash: '0'.repeat(64), hash: 'f'.repeat(64),
  });

  it('builds a model package with the artifact, lineage, metrics and baseline', async () => {
    const version = { ...(await registry.getVersion('card-fraud', 3)), sageMakerModelPackageArn: undefined };
    const input = modelPackageInput(version);
    expect(input).toMatchObject({
      ModelPackageGroupName: 'card-fraud',
      ModelApprovalStatus: 'PendingManualApproval',
      ClientToken: expect.stringMatching(/^[0-9a-f]{32}$/),
      InferenceSpecification: { Containers: [{ Image: version.image, ModelDataUrl: version.artifactUri }] },
      MetadataProperties: { CommitId: 'abc1234', GeneratedBy: 'run-3' },
      DriftCheckBaselines: { ModelDataQuality: { Statistics: { S3Uri: version.baselineUri } } },
      CustomerMetadataProperties: { mlopsVersion: '3', artifactSha256: sha(3), 'holdout.auc': '0.903', datasetSha256: sha(999) },
    });
    expect(modelPackageInput(version).ClientToken).toBe(input.ClientToken);
    expect(mirrorAction(registryEventDetail(audit(null, 'pending_approval'), scope), version)).toEqual({ kind: 'create' });
  });

  it('updates the approval status when it changes, skips a stale event, and never echoes SageMaker', async () => {
    const pending = await registry.getVersion('card-fraud', 3);
    const version = { ...pending, status: 'approved' as const };
    // The version has not reached the event's status (or has left it): a newer event will carry its status.
    expect(mirrorAction(registryEventDetail(audit('pending_approval', 'approved'), scope), pending)).toMatchObject({ kind: 'skip', reason: expect.stringMatching(/^stale event/) });
    expect(mirrorAction(registryEventDetail(audit('pending_approval', 'approved'), scope), version)).toEqual({
      kind: 'update',
      input: { ModelPackageArn: arn(3), ModelApprovalStatus: 'Approved', ApprovalDescription: 'approved by alice: ok' },
    });
    expect(mirrorAction(registryEventDetail(audit('pending_approval', 'approved', 'sagemaker:dana'), scope), version)).toMatchObject({ kind: 'skip' });
  });
});
