import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { requiredEnv } from '../shared/env';
import { arnScopeOf } from './registry-events';
import { publishAuditInserts } from './stream-publisher';

const logger = new Logger();
const eventBridge = new EventBridgeClient({});
const eventBusName = requiredEnv('EVENT_BUS_NAME');

/** Registry table stream -> one registry event per inserted audit row (partial batch response). */
export const handler = async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> => {
  const outcome = await publishAuditInserts(event.Records, eventBusName, arnScopeOf(context.invokedFunctionArn), (entries) =>
    eventBridge.send(new PutEventsCommand({ Entries: entries })),
  );
  for (const bad of outcome.malformed) logger.error('audit row cannot become an event; skipped', bad);
  if (outcome.failedSequenceNumbers.length) logger.warn('EventBridge refused events; the batch resumes from the first', { ...outcome });
  logger.info('published registry events', { published: outcome.published, ignored: outcome.ignored });
  return { batchItemFailures: outcome.failedSequenceNumbers.map((itemIdentifier) => ({ itemIdentifier })) };
};
