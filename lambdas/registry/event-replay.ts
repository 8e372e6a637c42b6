import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { z } from 'zod';
import { parseInput } from './parse-input';
import { type ArnScope, publishInOrder, type PutEvents, registryEventDetail, registryEventEntry } from './registry-events';
import type { AuditRecord } from './schemas';

/** Which audit rows of the model to republish; both filters together select rows matching both. */
const replaySelectionSchema = z
  .object({
    /** Only the audit rows of this version. */
    version: z.number().int().positive().optional(),
    /** Only the audit rows written at or after this instant (ISO 8601, with a zone). */
    since: z.string().datetime({ offset: true }).optional(),
  })
  .strict();

export interface ReplayTarget {
  eventBusName: string;
  /** Partition, region and account the events' model package ARNs name (the stream publisher's own). */
  scope: ArnScope;
}

/** An audit row whose event was not published. */
export interface UnpublishedRow {
  auditId: string;
  seq: number;
  version: number;
  /** EventBridge's error code, `Malformed` for a row that cannot become an event, `PutEventsFailed` when the call failed. */
  errorCode: string;
  errorMessage: string;
}

export interface ReplayOutcome {
  model: string;
  /** Audit rows the selection matched. */
  selected: number;
  published: number;
  /** Rows that cannot become an event (skipped; retrying cannot fix them). */
  malformed: UnpublishedRow[];
  /** The row EventBridge refused: publishing stopped there, so no later event went out before it. */
  failed?: UnpublishedRow;
  /** Rows after the refused one that were not sent; replay again from `failed` (consumers dedupe on auditId). */
  notSent: number;
}

/**
 * Republishes the registry events of one model from its audit trail: the rows `selection` picks, in chain order
 * (`seq`), each built by the stream publisher's own event builder, so a replayed event is the event first published,
 * `auditId` included for consumers to dedupe. PutEvents in batches of 10; at the first entry EventBridge refuses,
 * publishing stops (as the stream publisher does, so events of a model never go out of order) and the outcome says
 * which row failed and how many were not sent.
 */
export async function replayAuditEvents(
  model: string,
  rows: readonly AuditRecord[],
  selection: unknown,
  target: ReplayTarget,
  putEvents: PutEvents,
): Promise<ReplayOutcome> {
  const { version, since } = parseInput(replaySelectionSchema, selection, 'replay selection');
  const sinceMs = since === undefined ? undefined : Date.parse(since);
  const selected = rows
    .filter((row) => row.model === model && (version === undefined || row.version === version) && (sinceMs === undefined || Date.parse(row.at) >= sinceMs))
    .sort((a, b) => a.seq - b.seq);

  const outcome: ReplayOutcome = { model, selected: selected.length, published: 0, malformed: [], notSent: 0 };
  const pending: { row: AuditRecord; entry: PutEventsRequestEntry }[] = [];
  for (const row of selected) {
    try {
      pending.push({ row, entry: registryEventEntry(registryEventDetail(row, target.scope), target.eventBusName) });
    } catch (err) {
      outcome.malformed.push(unpublished(row, 'Malformed', (err as Error).message));
    }
  }

  const { published, failure } = await publishInOrder(
    pending.map((p) => p.entry),
    putEvents,
  );
  outcome.published = published;
  if (failure) {
    outcome.failed = unpublished(pending[failure.index].row, failure.errorCode, failure.errorMessage);
    outcome.notSent = pending.length - (failure.index + 1);
  }
  return outcome;
}

function unpublished(row: AuditRecord, errorCode: string, errorMessage: string): UnpublishedRow {
  return { auditId: row.id, seq: row.seq, version: row.version, errorCode, errorMessage };
}
