import { createHash } from 'node:crypto';
import type { AuditHead, AuditRecord } from './schemas';

export type { AuditHead };

/** The `prevHash` of a model's first audit row. */
export const GENESIS_HASH = '0'.repeat(64);

/** An audit row before it is linked into its model's chain. */
export type UnchainedAudit = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>;

/**
 * SHA-256 of the row's canonical JSON (keys sorted at every level, absent fields left out) without its own hash. Every
 * field the audit trail shows is covered, including `seq` and `prevHash`, so editing, removing or reordering a row
 * breaks the chain from there on.
 */
export function auditRowHash(row: Omit<AuditRecord, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...content } = row;
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

/** Links `rows` after `head` (undefined: the model's first rows); returns them and the new head. */
export function chainAudits(rows: readonly UnchainedAudit[], head: AuditHead | undefined): { rows: AuditRecord[]; head: AuditHead | undefined } {
  let current = head;
  const chained = rows.map((row) => {
    const linked = { ...row, seq: (current?.seq ?? 0) + 1, prevHash: current?.hash ?? GENESIS_HASH };
    const hash = auditRowHash(linked);
    current = { seq: linked.seq, hash };
    return { ...linked, hash } as AuditRecord;
  });
  return { rows: chained, head: current };
}

export type AuditChainVerdict =
  | { ok: true; rows: number; head: AuditHead | undefined }
  | { ok: false; rows: number; brokenAt: number; problem: string };

/**
 * Checks a model's whole audit trail against the head its model item records: sequence numbers 1..n without gaps or
 * repeats, each row's hash over its content, each `prevHash` equal to the previous row's hash, and the last row equal
 * to the head. Reports the first broken link (the sequence number where the trail stops being trustworthy).
 */
export function verifyAuditChain(rows: readonly AuditRecord[], head: AuditHead | undefined): AuditChainVerdict {
  const sorted = [...rows].sort((a, b) => a.seq - b.seq);
  let previous: AuditHead | undefined;
  for (const row of sorted) {
    const expectedSeq = (previous?.seq ?? 0) + 1;
    const broken = (problem: string): AuditChainVerdict => ({ ok: false, rows: sorted.length, brokenAt: expectedSeq, problem });
    if (!Number.isInteger(row.seq)) return broken(`a row (id ${row.id}) has no sequence number: it was not written by the registry`);
    if (row.seq < expectedSeq) return broken(`two rows claim sequence number ${row.seq} (ids ${row.id} and another): one was added`);
    if (row.seq > expectedSeq) return broken(`rows ${expectedSeq}..${row.seq - 1} are missing: deleted`);
    if (row.prevHash !== (previous?.hash ?? GENESIS_HASH)) {
      return broken(`row ${row.seq} does not link to row ${expectedSeq - 1}: a row before it was replaced, or this one was inserted`);
    }
    if (auditRowHash(row) !== row.hash) return broken(`row ${row.seq} was altered after it was written: its content does not match its hash`);
    previous = { seq: row.seq, hash: row.hash };
  }
  if ((previous?.seq ?? 0) !== (head?.seq ?? 0) || previous?.hash !== head?.hash) {
    const last = previous?.seq ?? 0;
    return {
      ok: false,
      rows: sorted.length,
      brokenAt: last + 1,
      problem: head
        ? `the model records ${head.seq} rows ending in hash ${head.hash.slice(0, 12)}…, the trail has ${last}${previous ? ` ending in ${previous.hash.slice(0, 12)}…` : ''}: rows after ${last} were deleted or the last ones replaced`
        : `the model records no audit rows, the trail has ${last}`,
    };
  }
  return { ok: true, rows: sorted.length, head: previous };
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
