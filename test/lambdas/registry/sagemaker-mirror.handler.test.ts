import type { EventBridgeEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidInputError } from '../../../lambdas/registry/errors';
import type { ModelRegistry } from '../../../lambdas/registry/registry';
import { arnScopeOf, registryEventDetail } from '../../../lambdas/registry/registry-events';
import type { SageMakerStateChange, SyncOutcome } from '../../../lambdas/registry/sagemaker-sync';
import {
  REGISTRY_EVENT_DETAIL_TYPE,
  REGISTRY_EVENT_SOURCE,
  type RegistryEventDetail,
  SAGEMAKER_EVENT_DETAIL_TYPE,
  SAGEMAKER_EVENT_SOURCE,
} from '../../../contracts/registry-events';
import { type LocalDynamo, lambdaEnvFor, startDynalite } from '../../helpers/dynalite';
import { by, registration, registryOn } from './fixtures';
import { type SageMakerDouble, startSageMakerDouble } from './sagemaker-double';

type MirrorResult = { model: string; version: number; action: string };
let dynamo: LocalDynamo;
let sageMaker: SageMakerDouble;
let registry: ModelRegistry;
let mirror: (event: unknown) => Promise<MirrorResult>;
let sync: (event: unknown) => Promise<SyncOutcome>;
const scope = arnScopeOf('arn:aws:lambda:eu-west-1:123456789012:function:fraud-sagemaker-mirror');

beforeAll(async () => {
  [dynamo, sageMaker] = await Promise.all([startDynalite(), startSageMakerDouble()]);
  registry = registryOn(dynamo);
  const env = {
    ...lambdaEnvFor(dynamo),
    AWS_ENDPOINT_URL_SAGEMAKER: sageMaker.endpoint,
    // One attempt: an error reaches the handler at once instead of after backed-off retries.
    AWS_MAX_ATTEMPTS: '1',
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  // The handlers build their clients at import, so the environment must be in place first.
  ({ handler: mirror } = await import('../../../lambdas/registry/sagemaker-mirror.handler'));
  ({ handler: sync } = await import('../../../lambdas/registry/sagemaker-sync.handler'));
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([dynamo?.stop(), sageMaker?.stop()]);
});
beforeEach(() => {
  sageMaker.calls.length = 0;
  sageMaker.fail = undefined;
});

/** The registry event for a version's latest audit row, as EventBridge delivers it to the mirror. */
async function latestEvent(model: string, version: number): Promise<EventBridgeEvent<string, RegistryEventDetail>> {
  const { audit } = await registry.getVersionDetail(model, version);
  const detail = registryEventDetail(audit.at(-1)!, scope);
  return {
    version: '0',
    id: `event-${model}-${version}-${audit.length}`,
    source: REGISTRY_EVENT_SOURCE,
    'detail-type': REGISTRY_EVENT_DETAIL_TYPE,
    account: scope.account,
    region: scope.region,
    time: detail.at,
    resources: [detail.ModelPackageArn],
    detail,
  };
}

async function registerAndMirror(model: string, n: number) {
  await registry.register(registration(model, n), 'pipeline:test');
  return mirror(await latestEvent(model, n));
}

const stateChange = (model: string, arn: string, status: 'Approved' | 'Rejected', extra: object = {}): SageMakerStateChange => ({
  source: SAGEMAKER_EVENT_SOURCE,
  'detail-type': SAGEMAKER_EVENT_DETAIL_TYPE,
  detail: { ModelPackageGroupName: model, ModelPackageArn: arn, ModelApprovalStatus: status, ...extra },
});

describe('sagemaker-mirror handler', () => {
  it('creates the group with the first version, a model package per version, and records its ARN', async () => {
    // GIVEN a first version of a model SageMaker has no group for
    await registry.register(registration('card-fraud', 1), 'pipeline:test');
    const version = await registry.getVersion('card-fraud', 1);

    // WHEN its registration event is mirrored
    expect(await mirror(await latestEvent('card-fraud', 1))).toEqual({ model: 'card-fraud', version: 1, action: 'create' });

    // THEN the missing group is created once, then the package with the version's fields
    expect(sageMaker.operations()).toEqual(['DescribeModelPackageGroup', 'CreateModelPackageGroup', 'CreateModelPackage']);
    expect(sageMaker.bodiesOf('CreateModelPackageGroup')).toEqual([expect.objectContaining({ ModelPackageGroupName: 'card-fraud' })]);
    const [created] = sageMaker.bodiesOf('CreateModelPackage');
    expect(created).toMatchObject({
      ModelPackageGroupName: 'card-fraud',
      ModelApprovalStatus: 'PendingManualApproval',
      InferenceSpecification: { Containers: [{ Image: version.image, ModelDataUrl: version.artifactUri }] },
      CustomerMetadataProperties: { mlopsModel: 'card-fraud', mlopsVersion: '1', artifactSha256: version.artifactSha256, 'holdout.auc': '0.901' },
    });
    // AND the registry row carries the ARN SageMaker returned
    const [arn] = sageMaker.packages.keys();
    expect((await registry.getVersion('card-fraud', 1)).sageMakerModelPackageArn).toBe(arn);

    // WHEN a second version is mirrored
    sageMaker.calls.length = 0;
    expect(await registerAndMirror('card-fraud', 2)).toMatchObject({ action: 'create' });

    // THEN the existing group is found, not created again
    expect(sageMaker.operations()).toEqual(['DescribeModelPackageGroup', 'CreateModelPackage']);
    expect(sageMaker.bodiesOf('CreateModelPackage')[0]).toMatchObject({ CustomerMetadataProperties: { mlopsVersion: '2' } });
    expect((await registry.getVersion('card-fraud', 2)).sageMakerModelPackageArn).toMatch(/model-package\/card-fraud\/2$/);
  });

  it('answers a redelivered registration event with an update of the same package, not a second one', async () => {
    // GIVEN a version already mirrored
    await registerAndMirror('redelivered', 1);
    const { sageMakerModelPackageArn: arn } = await registry.getVersion('redelivered', 1);
    sageMaker.calls.length = 0;

    // WHEN EventBridge delivers its registration event again
    expect(await mirror(await latestEvent('redelivered', 1))).toMatchObject({ action: 'update' });

    // THEN the known package is set to the status it already has; no package is created
    expect(sageMaker.operations()).toEqual(['UpdateModelPackage']);
    expect(sageMaker.bodiesOf('UpdateModelPackage')[0]).toMatchObject({ ModelPackageArn: arn, ModelApprovalStatus: 'PendingManualApproval' });
    expect([...sageMaker.packages.values()].filter((p) => p.group === 'redelivered')).toHaveLength(1);
  });

  it('does not create a second package when a create is retried after the ARN was lost', async () => {
    // GIVEN a version whose package was created but whose ARN never reached the registry (annotate failed)
    await registry.register(registration('retried', 1), 'pipeline:test');
    const event = await latestEvent('retried', 1);
    await mirror(event);
    await registry.annotate('retried', 1, { sageMakerModelPackageArn: undefined });
    sageMaker.calls.length = 0;

    // WHEN the event is retried
    expect(await mirror(event)).toMatchObject({ action: 'create' });

    // THEN SageMaker sees the same ClientToken and answers with the first package
    expect(sageMaker.operations()).toEqual(['DescribeModelPackageGroup', 'CreateModelPackage']);
    expect([...sageMaker.packages.values()].filter((p) => p.group === 'retried')).toHaveLength(1);
    expect((await registry.getVersion('retried', 1)).sageMakerModelPackageArn).toMatch(/model-package\/retried\/1$/);
  });

  it('mirrors an approval with the actor in the description', async () => {
    // GIVEN a mirrored version
    await registerAndMirror('approved', 1);
    const { sageMakerModelPackageArn: arn } = await registry.getVersion('approved', 1);

    // WHEN it is approved in our registry and the approved event is mirrored
    await registry.approve('approved', 1, by('alice@example.com', 'ship it'));
    sageMaker.calls.length = 0;
    expect(await mirror(await latestEvent('approved', 1))).toMatchObject({ action: 'update' });

    // THEN SageMaker's package is approved, naming who approved and why
    expect(sageMaker.operations()).toEqual(['UpdateModelPackage']);
    expect(sageMaker.bodiesOf('UpdateModelPackage')[0]).toEqual({
      ModelPackageArn: arn,
      ModelApprovalStatus: 'Approved',
      ApprovalDescription: 'approved by alice@example.com: ship it',
    });
    expect(sageMaker.packages.get(arn!)?.status).toBe('Approved');
  });

  it('does not let a registration event that arrives after the approval undo it in SageMaker', async () => {
    // GIVEN a version approved before the mirror saw its registration (the two events race as separate invocations)
    await registry.register(registration('late', 1), 'pipeline:test');
    const registered = await latestEvent('late', 1);
    await registry.approve('late', 1, by('alice@example.com', 'ship it'));

    // WHEN the approved event is mirrored first, then the registration event
    expect(await mirror(await latestEvent('late', 1))).toMatchObject({ action: 'create' });
    const { sageMakerModelPackageArn: arn } = await registry.getVersion('late', 1);
    sageMaker.calls.length = 0;
    expect(await mirror(registered)).toMatchObject({ action: 'skip' });

    // THEN the package, created from the version as it is now, stays Approved
    expect(sageMaker.calls).toEqual([]);
    expect(sageMaker.packages.get(arn!)?.status).toBe('Approved');
  });

  it('does not echo a decision that came from SageMaker', async () => {
    // GIVEN a mirrored version approved through the sync function, i.e. by a SageMaker user
    await registerAndMirror('echo', 1);
    const { sageMakerModelPackageArn: arn } = await registry.getVersion('echo', 1);
    await registry.approve('echo', 1, by('sagemaker:dana', 'reviewed in Studio'));
    const event = await latestEvent('echo', 1);
    expect(event.detail.actor).toBe('sagemaker:dana');
    sageMaker.calls.length = 0;

    // WHEN its approved event reaches the mirror
    expect(await mirror(event)).toMatchObject({ action: 'skip' });

    // THEN SageMaker is not called
    expect(sageMaker.calls).toEqual([]);
    expect(sageMaker.packages.get(arn!)?.status).toBe('PendingManualApproval');
  });

  it('rejects a malformed event naming the field, without calling SageMaker', async () => {
    // GIVEN an event whose detail lacks the actor
    await registry.register(registration('malformed', 1), 'pipeline:test');
    const event = await latestEvent('malformed', 1);
    const malformed = { ...event, detail: { ...event.detail, actor: undefined } };

    // WHEN it reaches the mirror
    const error = await mirror(malformed).catch((err: unknown) => err);

    // THEN it fails naming detail.actor, and SageMaker is not called
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(/^invalid registry event: detail\.actor: /);
    expect(sageMaker.calls).toEqual([]);
  });

  it('fails on a SageMaker error other than a missing group, so the event goes to the DLQ, and records nothing', async () => {
    // GIVEN SageMaker throttling DescribeModelPackageGroup
    await registry.register(registration('throttled', 1), 'pipeline:test');
    sageMaker.fail = (operation) =>
      operation === 'DescribeModelPackageGroup' ? { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' } : undefined;

    // WHEN the registration event is mirrored THEN the handler rejects with SageMaker's error
    await expect(mirror(await latestEvent('throttled', 1))).rejects.toMatchObject({ name: 'ThrottlingException' });

    // AND neither the group nor a package was created, and the version has no ARN
    expect(sageMaker.operations()).toEqual(['DescribeModelPackageGroup']);
    expect(sageMaker.groups.has('throttled')).toBe(false);
    expect((await registry.getVersion('throttled', 1)).sageMakerModelPackageArn).toBeUndefined();
  });
});

describe('sagemaker-sync handler', () => {
  it('approves a mirrored version as the SageMaker user, and reports a repeat as unchanged', async () => {
    // GIVEN a version mirrored to SageMaker
    await registerAndMirror('synced', 1);
    const { sageMakerModelPackageArn: arn } = await registry.getVersion('synced', 1);
    const event = stateChange('synced', arn!, 'Approved', { UpdatedBy: 'dana', ApprovalDescription: 'reviewed in Studio' });

    // WHEN SageMaker reports its approval, twice
    const first = await sync(event);
    const second = await sync(event);

    // THEN our registry approves it once, as sagemaker:<UpdatedBy>
    expect(first).toEqual({ outcome: 'approved', model: 'synced', version: 1 });
    expect(second).toEqual({ outcome: 'unchanged', model: 'synced', version: 1 });
    const { version, audit } = await registry.getVersionDetail('synced', 1);
    expect(version.status).toBe('approved');
    expect(audit.filter((a) => a.to === 'approved')).toEqual([expect.objectContaining({ actor: 'sagemaker:dana', reason: 'reviewed in Studio' })]);
  });
});
