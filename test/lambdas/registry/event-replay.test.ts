import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRegistryStore } from '../../../lambdas/registry/dynamodb-store';
import { replayAuditEvents } from '../../../lambdas/registry/event-replay';
import { arnScopeOf, type PutEvents } from '../../../lambdas/registry/registry-events';
import type { AuditRecord } from '../../../lambdas/registry/schemas';
import { registryEventDetailSchema } from '../../../contracts/registry-events';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { by, registration, registryOn } from './fixtures';

const target = { eventBusName: 'mlops-fraud', scope: arnScopeOf('arn:aws:lambda:eu-west-1:123456789012:function:fraud-api') };

let dynamo: LocalDynamo;
/** The audit trail of card-fraud as the registry wrote it: v1..v12 registered, v1 approved, v2 rejected (13+1 rows). */
let trail: AuditRecord[];
let approvedAt: string;

beforeAll(async () => {
  dynamo = await startDynalite();
  const registry = registryOn(dynamo);
  for (let n = 1; n <= 12; n++) await registry.register(registration('card-fraud', n), 'pipeline:test');
  await new Promise((resolve) => setTimeout(resolve, 5));
  approvedAt = new Date().toISOString();
  await registry.approve('card-fraud', 1, by('alice@example.com', 'ship it'));
  await registry.reject('card-fraud', 2, by('alice@example.com', 'worse than v1'));
  trail = await new DynamoRegistryStore(dynamo.documentClient, dynamo.tableName).listAudit('card-fraud');
});
afterAll(() => dynamo.stop());

/** Records what would be put; `refuse` names the audit seqs EventBridge refuses, `throwOnCall` fails a whole call. */
function eventBridge(options: { refuse?: number[]; throwOnCall?: number } = {}) {
  const calls: PutEventsRequestEntry[][] = [];
  const putEvents: PutEvents = async (entries) => {
    calls.push(entries);
    if (options.throwOnCall === calls.length) throw new Error('socket hang up');
    return {
      Entries: entries.map((e) =>
        options.refuse?.includes(JSON.parse(e.Detail!).auditSeq) ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' } : { EventId: 'ok' },
      ),
    };
  };
  const details = () => calls.flat().map((e) => registryEventDetailSchema.parse(JSON.parse(e.Detail!)));
  return { calls, putEvents, details };
}

const shuffled = <T>(rows: readonly T[]) => [...rows].reverse();

describe('replayAuditEvents', () => {
  it('republishes every audit row of the model, in chain order, in PutEvents batches of 10', async () => {
    // GIVEN the trail in another order than the chain's
    const bus = eventBridge();
    // WHEN
    const outcome = await replayAuditEvents('card-fraud', shuffled(trail), {}, target, bus.putEvents);
    // THEN
    expect(outcome).toEqual({ model: 'card-fraud', selected: 14, published: 14, malformed: [], notSent: 0 });
    expect(bus.calls.map((c) => c.length)).toEqual([10, 4]);
    expect(bus.details().map((d) => d.auditSeq)).toEqual(trail.map((r) => r.seq).sort((a, b) => a - b));
  });

  it("builds the stream publisher's event for a row, carrying the row's id to dedupe on", async () => {
    const bus = eventBridge();
    await replayAuditEvents('card-fraud', trail, { version: 1 }, target, bus.putEvents);
    const approval = trail.find((r) => r.version === 1 && r.to === 'approved')!;
    expect(bus.calls.flat().at(-1)).toMatchObject({ EventBusName: 'mlops-fraud', Source: 'mlops.registry', DetailType: 'Model Version State Change' });
    expect(bus.details().at(-1)).toMatchObject({
      auditId: approval.id,
      auditSeq: approval.seq,
      auditHash: approval.hash,
      model: 'card-fraud',
      version: 1,
      previousStatus: 'pending_approval',
      status: 'approved',
      actor: 'alice@example.com',
      ModelPackageArn: 'arn:aws:sagemaker:eu-west-1:123456789012:model-package/card-fraud/1',
    });
  });

  it('republishes only the rows of a version', async () => {
    const bus = eventBridge();
    const outcome = await replayAuditEvents('card-fraud', trail, { version: 2 }, target, bus.putEvents);
    expect(outcome).toMatchObject({ selected: 2, published: 2 });
    expect(bus.details().map((d) => [d.version, d.status])).toEqual([
      [2, 'pending_approval'],
      [2, 'rejected'],
    ]);
  });

  it('republishes only the rows written since an instant', async () => {
    const bus = eventBridge();
    const outcome = await replayAuditEvents('card-fraud', trail, { since: approvedAt }, target, bus.putEvents);
    expect(outcome).toMatchObject({ selected: 2, published: 2 });
    expect(bus.details().map((d) => d.status)).toEqual(['approved', 'rejected']);
  });

  it('stops at the first refused event and says which row failed and how many were not sent', async () => {
    // GIVEN EventBridge refuses the 3rd row of the chain
    const third = [...trail].sort((a, b) => a.seq - b.seq)[2];
    const bus = eventBridge({ refuse: [third.seq] });
    // WHEN
    const outcome = await replayAuditEvents('card-fraud', trail, {}, target, bus.putEvents);
    // THEN: rows 1-2 went out; nothing after the refused one was sent in a later call
    expect(outcome).toMatchObject({
      published: 2,
      failed: { auditId: third.id, seq: third.seq, version: third.version, errorCode: 'ThrottlingException', errorMessage: 'Rate exceeded' },
      notSent: 11,
    });
    expect(bus.calls).toHaveLength(1);
  });

  it('reports a failed PutEvents call as the first row of its batch', async () => {
    const bus = eventBridge({ throwOnCall: 2 });
    const outcome = await replayAuditEvents('card-fraud', trail, {}, target, bus.putEvents);
    const eleventh = [...trail].sort((a, b) => a.seq - b.seq)[10];
    expect(outcome).toMatchObject({ published: 10, failed: { seq: eleventh.seq, errorCode: 'PutEventsFailed', errorMessage: 'socket hang up' }, notSent: 3 });
  });

  it('skips and reports a row that cannot become an event, and publishes the rest', async () => {
    // GIVEN a row whose status is not one the event schema knows
    const [first, ...rest] = [...trail].sort((a, b) => a.seq - b.seq);
    const broken = { ...first, to: 'shipped' } as unknown as AuditRecord;
    const bus = eventBridge();
    // WHEN
    const outcome = await replayAuditEvents('card-fraud', [broken, ...rest], {}, target, bus.putEvents);
    // THEN
    expect(outcome.published).toBe(13);
    expect(outcome.malformed).toEqual([expect.objectContaining({ auditId: first.id, seq: first.seq, errorCode: 'Malformed' })]);
  });

  it("ignores other models' rows", async () => {
    const bus = eventBridge();
    const other = trail.map((r) => ({ ...r, model: 'churn' }));
    const outcome = await replayAuditEvents('card-fraud', [...other, ...trail], { version: 1 }, target, bus.putEvents);
    expect(outcome.selected).toBe(2);
    expect(new Set(bus.details().map((d) => d.model))).toEqual(new Set(['card-fraud']));
  });

  it('refuses a bad selection, naming every bad field, before sending anything', async () => {
    const bus = eventBridge();
    await expect(replayAuditEvents('card-fraud', trail, { version: 0, since: 'yesterday' }, target, bus.putEvents)).rejects.toThrow(
      expect.objectContaining({ name: 'InvalidInputError', message: expect.stringMatching(/invalid replay selection: .*version.*since/) }),
    );
    expect(bus.calls).toEqual([]);
  });
});
