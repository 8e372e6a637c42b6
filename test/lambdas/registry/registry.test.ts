import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRegistryStore } from '../../../lambdas/registry/dynamodb-store';
import {
  ConflictError,
  IllegalTransitionError,
  InvalidInputError,
  NotFoundError,
} from '../../../lambdas/registry/errors';
import { ModelRegistry } from '../../../lambdas/registry/registry';
import type { Change } from '../../../lambdas/registry/store';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { by, registration, registryOn, sha } from './fixtures';

let dynamo: LocalDynamo;
let registry: ModelRegistry;
beforeAll(async () => {
  dynamo = await startDynalite();
  registry = registryOn(dynamo);
});
afterAll(() => dynamo.stop());

/** Registers, approves, deploys and finalizes one version: the path a version takes to live. */
async function makeLive(model: string, n: number): Promise<number> {
  const { version } = await registry.register(registration(model, n), 'pipeline:test');
  await registry.approve(model, version.version, by('alice'));
  await registry.beginDeployment(model, version.version, by('deployment'), 'deploy-test');
  await registry.finalizeDeployment(model, version.version, by('deployment'));
  return version.version;
}

describe('register', () => {
  it('assigns the next version and records lineage, an audit row and the pipeline run', async () => {
    // GIVEN / WHEN
    const first = await registry.register(registration('lineage', 1), 'pipeline:test');
    const second = await registry.register(registration('lineage', 2), 'pipeline:test');

    // THEN
    expect([first.version.version, second.version.version]).toEqual([1, 2]);
    const detail = await registry.getVersionDetail('lineage', 2);
    expect(detail.version).toMatchObject({
      status: 'pending_approval',
      artifactSha256: sha(2),
      datasetSha256: sha(999),
      executionName: 'run-2',
      baselineUri: 's3://artifacts/runs/run-2/processed/baseline.json',
      metrics: { holdout: { auc: 0.902 } },
    });
    expect(detail.audit).toEqual([
      expect.objectContaining({ from: null, to: 'pending_approval', actor: 'pipeline:test', version: 2 }),
    ]);
    expect(await registry.listRuns('lineage')).toEqual(
      expect.arrayContaining([expect.objectContaining({ executionName: 'run-2', status: 'succeeded', version: 2 })]),
    );
    expect((await registry.getModel('lineage')).latestVersion).toBe(2);
  });

  // 16 writers on one model: every commit but one per round loses and retries, so the loop is exercised throughout;
  // the conflicts grow with the square of the writers, and 50 cost CI ~45 s for no other finding.
  const WRITERS = 16;
  it(`gives ${WRITERS} concurrent registrations of one model ${WRITERS} distinct consecutive versions`, async () => {
    // WHEN
    const results = await Promise.all(
      Array.from({ length: WRITERS }, (_, i) => registry.register(registration('busy', i + 1), 'pipeline:test')),
    );

    // THEN
    const numbers = results.map((r) => r.version.version).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: WRITERS }, (_, i) => i + 1));
    const stored = await registry.listVersions('busy');
    expect(stored.map((v) => v.version)).toEqual(numbers);
    // Each registration's artifact landed on the version number it was told.
    for (const r of results) expect(stored[r.version.version - 1].artifactSha256).toBe(r.version.artifactSha256);
    expect((await registry.getModel('busy')).latestVersion).toBe(WRITERS);
  });

  it('is idempotent on the client token, also under concurrency', async () => {
    const input = registration('tokens', 7);
    const results = await Promise.all(Array.from({ length: 10 }, () => registry.register(input, 'pipeline:test')));
    expect(new Set(results.map((r) => r.version.version))).toEqual(new Set([1]));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await registry.listVersions('tokens')).toHaveLength(1);
  });

  it('refuses a client token reused for another artifact', async () => {
    await registry.register(registration('reuse', 1, { clientToken: 'exec-1' }), 'pipeline:test');
    await expect(
      registry.register(registration('reuse', 2, { clientToken: 'exec-1' }), 'pipeline:test'),
    ).rejects.toThrow(new ConflictError('client token "exec-1" already registered reuse v1 with another artifact'));
  });

  it('rejects malformed input naming the field, writing nothing', async () => {
    const bad = { ...registration('malformed', 1), artifactSha256: 'xyz' };
    await expect(registry.register(bad, 'pipeline:test')).rejects.toThrow(
      new InvalidInputError('invalid registration: artifactSha256: expected a lowercase hex SHA-256 (64 characters)'),
    );
    await expect(registry.getModel('malformed')).rejects.toThrow(NotFoundError);
  });
});

describe('transitions', () => {
  it('lets exactly one of 20 concurrent approve/reject calls win, with one audit row', async () => {
    // GIVEN
    await registry.register(registration('race', 1), 'pipeline:test');

    // WHEN
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0 ? registry.approve('race', 1, by(`approver-${i}`)) : registry.reject('race', 1, by(`rejecter-${i}`, 'no')),
      ),
    );

    // THEN
    const winners = outcomes.filter((o) => o.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(IllegalTransitionError);
    const { version, audit } = await registry.getVersionDetail('race', 1);
    const decisions = audit.filter((row) => row.from === 'pending_approval');
    expect(decisions).toHaveLength(1);
    expect(decisions[0].to).toBe(version.status);
  });

  it('refuses an illegal transition with a clear message and changes nothing', async () => {
    await registry.register(registration('illegal', 1), 'pipeline:test');
    await registry.reject('illegal', 1, by('bob', 'bias found'));
    const before = await registry.getVersionDetail('illegal', 1);

    await expect(registry.approve('illegal', 1, by('alice'))).rejects.toThrow(
      'cannot move illegal v1 from rejected to approved; from rejected the allowed next statuses are: none (final status)',
    );
    await expect(registry.finalizeDeployment('illegal', 1, by('x'))).rejects.toThrow(IllegalTransitionError);
    expect(await registry.getVersionDetail('illegal', 1)).toEqual(before);
  });

  it('answers unknown models and versions and bad version numbers with typed errors', async () => {
    await registry.register(registration('known', 1), 'pipeline:test');
    await expect(registry.approve('nobody', 1, by('a'))).rejects.toThrow(new NotFoundError('model "nobody" not found'));
    await expect(registry.approve('known', 9, by('a'))).rejects.toThrow(new NotFoundError('model "known" has no version 9'));
    await expect(registry.approve('known', 'abc', by('a'))).rejects.toThrow(InvalidInputError);
    await expect(registry.getVersion('known', '0')).rejects.toThrow('version must be a positive integer, got "0"');
    await expect(registry.getModel('Bad Name')).rejects.toThrow(InvalidInputError);
  });

  it('deploys: approved -> deploying -> live, retiring the previous live version', async () => {
    await makeLive('deploy', 1);
    const second = await makeLive('deploy', 2);

    const model = await registry.getModel('deploy');
    expect(model).toMatchObject({ liveVersion: second, liveHistory: [1, 2] });
    expect(model.deployingVersion).toBeUndefined();
    expect((await registry.getVersion('deploy', 1)).status).toBe('retired');
    const audit = (await registry.getVersionDetail('deploy', 1)).audit.map((r) => `${r.from}->${r.to}`);
    expect(audit).toEqual(['null->pending_approval', 'pending_approval->approved', 'approved->deploying', 'deploying->live', 'live->retired']);
  });

  it('allows one deployment per model at a time', async () => {
    await registry.register(registration('one-at-a-time', 1), 'pipeline:test');
    await registry.register(registration('one-at-a-time', 2), 'pipeline:test');
    await registry.approve('one-at-a-time', 1, by('a'));
    await registry.approve('one-at-a-time', 2, by('a'));
    await registry.beginDeployment('one-at-a-time', 1, by('deployment'), 'first');
    const refused = registry.beginDeployment('one-at-a-time', 2, by('deployment'), 'second');
    await expect(refused).rejects.toThrow('one-at-a-time v1 is deploying (execution first); one deployment per model at a time');
    await expect(refused).rejects.toMatchObject({ name: 'DeploymentInProgressError', statusCode: 409 });
    expect(await registry.getModel('one-at-a-time')).toMatchObject({ deployingVersion: 1, deployingExecution: 'first' });
    expect((await registry.getVersion('one-at-a-time', 2)).status).toBe('approved');
  });

  it('records the execution that owns a deployment: it may repeat Begin, another execution may not take it over', async () => {
    await registry.register(registration('owned', 1), 'pipeline:test');
    await registry.approve('owned', 1, by('a'));
    await registry.beginDeployment('owned', 1, by('deployment:exec-a'), 'exec-a');
    await registry.beginDeployment('owned', 1, by('deployment:exec-a'), 'exec-a');
    expect((await registry.getVersionDetail('owned', 1)).audit.filter((a) => a.to === 'deploying')).toHaveLength(1);

    // A duplicate approval event started a second execution for the same version.
    await expect(registry.beginDeployment('owned', 1, by('deployment:exec-b'), 'exec-b')).rejects.toMatchObject({ name: 'NotDeploymentOwnerError' });
    await expect(registry.failDeployment('owned', 1, by('deployment:exec-b', 'duplicate'), 'exec-b')).rejects.toMatchObject({
      name: 'NotDeploymentOwnerError',
    });
    expect(await registry.getModel('owned')).toMatchObject({ deployingVersion: 1, deployingExecution: 'exec-a' });

    await registry.failDeployment('owned', 1, by('deployment:exec-a', 'holdout'), 'exec-a');
    const model = await registry.getModel('owned');
    expect(model.deployingVersion).toBeUndefined();
    expect(model.deployingExecution).toBeUndefined();
  });

  it('rolls back a failed deployment and keeps the live version', async () => {
    await makeLive('failing', 1);
    await registry.register(registration('failing', 2), 'pipeline:test');
    await registry.approve('failing', 2, by('a'));
    await registry.beginDeployment('failing', 2, by('deployment'), 'deploy-test');

    await registry.failDeployment('failing', 2, by('deployment', 'HoldoutParityError: auc 0.7 vs 0.9'), 'deploy-test');

    expect(await registry.getModel('failing')).toMatchObject({ liveVersion: 1, liveHistory: [1] });
    const { version, audit } = await registry.getVersionDetail('failing', 2);
    expect(version.status).toBe('rolled_back');
    expect(audit.at(-1)).toMatchObject({ from: 'deploying', to: 'rolled_back', reason: 'HoldoutParityError: auc 0.7 vs 0.9' });
  });

  it.each(['rollback', 'reject'] as const)('%s of the live version restores the previous live version', async (how) => {
    const model = `restore-${how}`;
    await makeLive(model, 1);
    await makeLive(model, 2);

    const result =
      how === 'rollback'
        ? await registry.rollbackLive(model, by('carol', 'latency regression'))
        : await registry.reject(model, 2, by('carol', 'latency regression'));

    expect(result).toMatchObject({ version: 2, from: 'live', to: 'rolled_back', restoredVersion: 1 });
    expect(await registry.getModel(model)).toMatchObject({ liveVersion: 1, liveHistory: [1] });
    expect((await registry.getVersion(model, 2)).status).toBe('rolled_back');
    expect((await registry.getVersion(model, 1)).status).toBe('live');
    const trail = await Promise.all([1, 2].map((v) => registry.getVersionDetail(model, v)));
    expect(trail[1].audit.at(-1)).toMatchObject({ from: 'live', to: 'rolled_back', actor: 'carol', restoredVersion: 1 });
    expect(trail[0].audit.at(-1)).toMatchObject({
      from: 'retired',
      to: 'live',
      actor: 'carol',
      reason: 'restored after rollback of v2: latency regression',
    });

    // Rolling back again leaves nothing live, and a third time is refused.
    await registry.rollbackLive(model, by('carol', 'still bad'));
    expect((await registry.getModel(model)).liveVersion).toBeUndefined();
    await expect(registry.rollbackLive(model, by('carol'))).rejects.toThrow(`model "${model}" has no live version to roll back`);
  });

  it('refuses to reject an approved version', async () => {
    await registry.register(registration('approved-reject', 1), 'pipeline:test');
    await registry.approve('approved-reject', 1, by('a'));
    await expect(registry.reject('approved-reject', 1, by('b'))).rejects.toThrow(
      'cannot move approved-reject v1 from approved to rejected; from approved the allowed next statuses are: deploying',
    );
  });
});

describe('commit and apply', () => {
  /** A store whose writer "crashes" right after its commit, before writing the change's items. */
  class CrashingStore extends DynamoRegistryStore {
    crashes = 1;
    committed: Change[] = [];
    override async apply(change: Change): Promise<void> {
      if (this.crashes > 0 && !this.committed.includes(change)) {
        this.crashes--;
        this.committed.push(change);
        throw new Error('simulated crash after commit');
      }
      return super.apply(change);
    }
  }

  /** What a read-only role may do: every write is refused, as IAM would refuse it. */
  class ReadOnlyStore extends DynamoRegistryStore {
    override async commit(): Promise<boolean> {
      throw new Error('AccessDenied: commit');
    }
    override async apply(): Promise<void> {
      throw new Error('AccessDenied: apply');
    }
    override async putRun(): Promise<void> {
      throw new Error('AccessDenied: putRun');
    }
  }

  it("shows a change whose writer crashed after committing to a read-only reader, without writing it", async () => {
    // GIVEN v1 live-bound: registered, then an approval committed by a writer that crashed before applying it
    await registry.register(registration('read-only', 1), 'pipeline:test');
    const store = new CrashingStore(dynamo.documentClient, dynamo.tableName);
    await expect(new ModelRegistry(store).approve('read-only', 1, by('alice'))).rejects.toThrow('simulated crash');
    // WHEN a role that may only read (evaluation, drift) looks at the model
    const reader = new ModelRegistry(new ReadOnlyStore(dynamo.documentClient, dynamo.tableName));
    // THEN it sees the committed change everywhere, and wrote nothing (its store refuses every write)
    expect((await reader.getVersion('read-only', 1)).status).toBe('approved');
    expect((await reader.listVersions('read-only')).map((v) => [v.version, v.status])).toEqual([[1, 'approved']]);
    expect((await reader.getVersionDetail('read-only', 1)).audit.map((a) => a.to)).toEqual(['pending_approval', 'approved']);
    expect((await store.getModel('read-only'))?.pending?.id).toBe(store.committed[0].id);
  });

  it('finishes a change whose writer crashed after committing, at the next write', async () => {
    const store = new CrashingStore(dynamo.documentClient, dynamo.tableName);
    const crashing = new ModelRegistry(store);
    await expect(crashing.register(registration('crash', 1), 'pipeline:test')).rejects.toThrow('simulated crash');

    // A fresh reader sees the whole registration: version and audit row.
    const version = await registry.getVersionDetail('crash', 1);
    expect(version.audit).toHaveLength(1);
    // The next writer finishes it first: the token written by the change makes the retried registration idempotent.
    const again = await registry.register(registration('crash', 1), 'pipeline:test');
    expect(again).toMatchObject({ created: false, version: { version: 1 } });
    expect((await store.getModel('crash'))?.pending).toBeUndefined();
  });

  it('never lets a late apply of an old change overwrite a newer one', async () => {
    const store = new CrashingStore(dynamo.documentClient, dynamo.tableName);
    const crashing = new ModelRegistry(store);
    await registry.register(registration('late', 1), 'pipeline:test');
    await expect(crashing.approve('late', 1, by('alice'))).rejects.toThrow('simulated crash');
    await registry.beginDeployment('late', 1, by('deployment'), 'deploy-test');

    // The crashed writer wakes up and replays its change (approve).
    await store.apply(store.committed[0]);

    const { version, audit } = await registry.getVersionDetail('late', 1);
    expect(version.status).toBe('deploying');
    expect(audit.map((r) => r.to)).toEqual(['pending_approval', 'approved', 'deploying']);
  });
});

describe('annotate and runs', () => {
  it('records deployment attributes without a status change', async () => {
    await registry.register(registration('annotated', 1), 'pipeline:test');
    await registry.annotate('annotated', 1, { functionVersion: '7', priorFunctionVersion: '3' });
    const { version, audit } = await registry.getVersionDetail('annotated', 1);
    expect(version).toMatchObject({ functionVersion: '7', priorFunctionVersion: '3', status: 'pending_approval' });
    expect(audit).toHaveLength(1);
  });

  it('records a failed run once, even before the model has a version', async () => {
    await registry.recordRunFailure({ model: 'never-trained', executionName: 'exec-9', error: 'States.TaskFailed', cause: 'OOM' });
    await registry.recordRunFailure({ model: 'never-trained', executionName: 'exec-9', error: 'other', cause: 'other' });
    expect(await registry.listRuns('never-trained')).toEqual([
      expect.objectContaining({ executionName: 'exec-9', status: 'failed', error: 'States.TaskFailed', cause: 'OOM' }),
    ]);
  });
});
