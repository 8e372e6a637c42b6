import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { AUDIT_PREFIX } from '../../contracts/registry-table-keys';
import { type ArnScope, publishInOrder, type PutEvents, registryEventDetail, registryEventEntry } from './registry-events';
import type { AuditRecord } from './schemas';

export interface PublishOutcome {
  published: number;
  /** Records that are not audit inserts (model, version, token items; modifications). */
  ignored: number;
  /** Audit rows that cannot become an event; retrying cannot fix them, so they are reported and skipped. */
  malformed: { sequenceNumber: string; problem: string }[];
  /** Sequence numbers to report in `batchItemFailures`: the first record EventBridge did not accept. */
  failedSequenceNumbers: string[];
}

/**
 * Turns the INSERTs of audit rows in a stream batch into registry events, in stream order. When EventBridge
 * refuses an entry, publishing stops there and that record is reported, so Lambda retries from it: events of one
 * model are never published out of order and accepted ones are not re-sent by this invocation.
 */
export async function publishAuditInserts(
  records: DynamoDBRecord[],
  eventBusName: string,
  scope: ArnScope,
  putEvents: PutEvents,
): Promise<PublishOutcome> {
  const outcome: PublishOutcome = { published: 0, ignored: 0, malformed: [], failedSequenceNumbers: [] };
  const pending: { sequenceNumber: string; entry: ReturnType<typeof registryEventEntry> }[] = [];
  for (const record of records) {
    const image = record.dynamodb?.NewImage;
    const sequenceNumber = record.dynamodb?.SequenceNumber ?? record.eventID ?? '';
    if (record.eventName !== 'INSERT' || !image || !image.sk?.S?.startsWith(AUDIT_PREFIX)) {
      outcome.ignored++;
      continue;
    }
    try {
      const audit = unmarshall(image as Record<string, AttributeValue>) as AuditRecord;
      pending.push({ sequenceNumber, entry: registryEventEntry(registryEventDetail(audit, scope), eventBusName) });
    } catch (err) {
      outcome.malformed.push({ sequenceNumber, problem: (err as Error).message });
    }
  }
  const { published, failure } = await publishInOrder(
    pending.map((p) => p.entry),
    putEvents,
  );
  outcome.published = published;
  if (failure) outcome.failedSequenceNumbers.push(pending[failure.index].sequenceNumber);
  return outcome;
}
