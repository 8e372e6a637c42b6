import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRowHash, chainAudits, GENESIS_HASH, type UnchainedAudit, verifyAuditChain } from '../../../lambdas/registry/audit-chain';
import { auditPk, auditSk } from '../../../contracts/registry-table-keys';
import type { ModelRegistry } from '../../../lambdas/registry/registry';
import type { AuditRecord } from '../../../lambdas/registry/schemas';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { by, registration, registryOn } from './fixtures';

const row = (n: number): UnchainedAudit => ({
  model: 'card-fraud',
  version: n,
  from: null,
  to: 'pending_approval',
  actor: `user-${n}`,
  reason: `registered ${n}`,
  at: `2026-12-0${(n % 9) + 1}T00:00:00.000Z`,
  versionCreatedAt: '2026-12-01T00:00:00.000Z',
  id: `id-${n}`,
});

describe('audit chain', () => {
  const { rows, head } = chainAudits([1, 2, 3, 4].map(row), undefined);

  it('links each row to the one before, from the genesis hash, and ends at the head', () => {
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(rows[0].prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i].prevHash).toBe(rows[i - 1].hash);
    expect(head).toEqual({ seq: 4, hash: rows[3].hash });
    expect(verifyAuditChain(rows, head)).toEqual({ ok: true, rows: 4, head });
    // Continuing from a head links to it.
    const next = chainAudits([row(5)], head);
    expect(next.rows[0]).toMatchObject({ seq: 5, prevHash: head!.hash });
  });

  it('hashes the canonical content: key order does not matter, every field does', () => {
    const reordered = Object.fromEntries(Object.entries(rows[1]).reverse()) as AuditRecord;
    expect(auditRowHash(reordered)).toBe(rows[1].hash);
    for (const field of ['actor', 'reason', 'at', 'to', 'version', 'seq', 'prevHash'] as const) {
      const altered = { ...rows[1], [field]: field === 'version' || field === 'seq' ? 99 : 'x' } as AuditRecord;
      expect(auditRowHash(altered), field).not.toBe(rows[1].hash);
    }
  });

  it('reports the first broken link for an altered, deleted, inserted, reordered or truncated trail', () => {
    const altered = rows.map((r) => (r.seq === 2 ? { ...r, actor: 'mallory' } : r));
    expect(verifyAuditChain(altered, head)).toMatchObject({ ok: false, brokenAt: 2, problem: expect.stringContaining('altered') });

    expect(verifyAuditChain(rows.filter((r) => r.seq !== 3), head)).toMatchObject({ ok: false, brokenAt: 3, problem: expect.stringContaining('missing') });

    // A forged row with a valid hash of its own, slotted in as row 3: row 4 no longer links to it.
    const forged = { ...rows[2], actor: 'mallory' };
    const reforged = { ...forged, hash: auditRowHash(forged) };
    expect(verifyAuditChain([...rows.slice(0, 2), reforged, rows[3]], head)).toMatchObject({ ok: false, brokenAt: 4, problem: expect.stringContaining('does not link') });

    // A whole rewritten tail is consistent with itself but not with the head on the model item.
    const rewritten = chainAudits([row(3), { ...row(4), actor: 'mallory' }], { seq: 2, hash: rows[1].hash }).rows;
    expect(verifyAuditChain([...rows.slice(0, 2), ...rewritten], head)).toMatchObject({ ok: false, brokenAt: 5 });

    expect(verifyAuditChain(rows.slice(0, 3), head)).toMatchObject({ ok: false, brokenAt: 4, problem: expect.stringContaining('deleted') });
    expect(verifyAuditChain([...rows, { ...rows[3], id: 'dup' }], head)).toMatchObject({ ok: false, brokenAt: 5, problem: expect.stringContaining('claim sequence number 4') });
  });

  it('catches any single-field edit of any row (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.constantFrom('actor', 'reason', 'at', 'id'), fc.string({ minLength: 1 }), (index, field, value) => {
        fc.pre(rows[index][field] !== value);
        const edited = rows.map((r, i) => (i === index ? { ...r, [field]: value } : r));
        const verdict = verifyAuditChain(edited, head);
        return verdict.ok === false && verdict.brokenAt === index + 1;
      }),
    );
  });
});

describe('audit chain of the registry on DynamoDB', () => {
  let dynamo: LocalDynamo;
  let registry: ModelRegistry;
  beforeAll(async () => {
    dynamo = await startDynalite();
    registry = registryOn(dynamo);
    await registry.register(registration('card-fraud', 1), 'pipeline:run-1');
    await registry.approve('card-fraud', 1, by('alice@example.com'));
    await registry.beginDeployment('card-fraud', 1, by('deployment:x'), 'x');
    await registry.finalizeDeployment('card-fraud', 1, by('deployment:x'));
    await registry.register(registration('card-fraud', 2), 'pipeline:run-2');
  });
  afterAll(() => dynamo.stop());

  const auditItems = async () =>
    (await dynamo.documentClient.send(new QueryCommand({ TableName: dynamo.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': auditPk('card-fraud') } })))
      .Items ?? [];

  it('writes every row of every change into one chain whose head the model item records', async () => {
    const items = await auditItems();
    expect(items.map((i) => i.sk)).toEqual([1, 2, 3, 4, 5].map(auditSk));
    expect(await registry.verifyAudit('card-fraud')).toEqual({ ok: true, rows: 5, head: (await registry.getModel('card-fraud')).auditHead });
  });

  it('catches a row altered, forged or deleted behind the registry', async () => {
    const items = await auditItems();
    const put = (item: Record<string, unknown>) => dynamo.documentClient.send(new PutCommand({ TableName: dynamo.tableName, Item: item }));

    await put({ ...items[1], actor: 'mallory@example.com' });
    expect(await registry.verifyAudit('card-fraud')).toMatchObject({ ok: false, brokenAt: 2 });
    await put(items[1]);

    await put({ ...items[4], pk: auditPk('card-fraud'), sk: auditSk(6), seq: 6, id: 'forged', prevHash: items[4].hash, hash: 'f'.repeat(64) });
    expect(await registry.verifyAudit('card-fraud')).toMatchObject({ ok: false, brokenAt: 6 });
    await dynamo.documentClient.send(new DeleteCommand({ TableName: dynamo.tableName, Key: { pk: auditPk('card-fraud'), sk: auditSk(6) } }));

    await dynamo.documentClient.send(new DeleteCommand({ TableName: dynamo.tableName, Key: { pk: auditPk('card-fraud'), sk: auditSk(3) } }));
    expect(await registry.verifyAudit('card-fraud')).toMatchObject({ ok: false, brokenAt: 3, problem: expect.stringContaining('missing') });
  });
});
