import { z } from 'zod';
import { AwsServiceError, type JsonOperation } from '../../http/twin-server';
import { md5OfMessageAttributes, type MessageAttributeValue } from './message-md5';
import type { QueueDefinition } from './queue-definition';
import { type SqsQueues, type StoredMessage } from './sqs-queues';

const attributeValue = z.object({
  DataType: z.string().regex(/^(String|Number|Binary)(\..+)?$/, 'DataType must be String, Number or Binary, optionally with a .custom suffix'),
  StringValue: z.string().optional(),
  BinaryValue: z.string().optional(),
});
const queueUrl = z.object({ QueueUrl: z.string().min(1) });
const sendSchema = queueUrl.extend({
  MessageBody: z.string().min(1, 'The request must contain the parameter MessageBody.'),
  DelaySeconds: z.number().int().min(0).max(900).optional(),
  MessageAttributes: z.record(z.string(), attributeValue).optional(),
});
const receiveSchema = queueUrl.extend({
  MaxNumberOfMessages: z.number().int().min(1).max(10).optional(),
  VisibilityTimeout: z.number().int().min(0).max(43_200).optional(),
  WaitTimeSeconds: z.number().int().min(0).max(20).optional(),
  AttributeNames: z.array(z.string()).optional(),
  MessageSystemAttributeNames: z.array(z.string()).optional(),
  MessageAttributeNames: z.array(z.string()).optional(),
});
const deleteSchema = queueUrl.extend({ ReceiptHandle: z.string().min(1) });
const attributesSchema = queueUrl.extend({ AttributeNames: z.array(z.string()).optional() });

/** Parses a request as SQS validates it: a bad field is InvalidParameterValue naming the field. */
function parse<T>(schema: z.ZodType<T>, input: Record<string, unknown>): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.join('.');
  if (issue.code === 'invalid_type' && input[String(issue.path[0])] === undefined) {
    throw new AwsServiceError('MissingParameter', `The request must contain the parameter ${field}.`);
  }
  throw new AwsServiceError('InvalidParameterValue', `Value for parameter ${field} is invalid. Reason: ${issue.message}`);
}

/** The operations of the SQS API (AWS JSON 1.0, target prefix `AmazonSQS`) that the twin serves. */
export function sqsOperations(queues: SqsQueues): Record<string, JsonOperation> {
  const queueOf = (input: { QueueUrl: string }) => queues.byUrl(input.QueueUrl);
  return {
    GetQueueUrl: async (input) => {
      const { QueueName, QueueOwnerAWSAccountId } = parse(z.object({ QueueName: z.string().min(1), QueueOwnerAWSAccountId: z.string().optional() }), input);
      return { QueueUrl: queues.named(QueueName, QueueOwnerAWSAccountId).url };
    },
    ListQueues: async (input) => {
      const { QueueNamePrefix } = parse(z.object({ QueueNamePrefix: z.string().optional() }), input);
      return { QueueUrls: queues.definitions.filter((q) => q.name.startsWith(QueueNamePrefix ?? '')).map((q) => q.url) };
    },
    SendMessage: async (input) => {
      const request = parse(sendSchema, input);
      const message = queues.send(queueOf(request), request.MessageBody, { messageAttributes: request.MessageAttributes, delaySeconds: request.DelaySeconds });
      return { MessageId: message.messageId, MD5OfMessageBody: message.md5OfBody, MD5OfMessageAttributes: message.md5OfMessageAttributes };
    },
    ReceiveMessage: async (input) => {
      const request = parse(receiveSchema, input);
      const messages = await queues.receive(queueOf(request), {
        maxNumberOfMessages: request.MaxNumberOfMessages,
        visibilityTimeoutSeconds: request.VisibilityTimeout,
        waitTimeSeconds: request.WaitTimeSeconds,
      });
      // SQS answers `{}` when there is nothing to receive.
      if (!messages.length) return {};
      const systemNames = [...(request.AttributeNames ?? []), ...(request.MessageSystemAttributeNames ?? [])];
      return { Messages: messages.map((m) => messageJson(m, systemNames, request.MessageAttributeNames ?? [])) };
    },
    DeleteMessage: async (input) => {
      const request = parse(deleteSchema, input);
      queues.delete(queueOf(request), request.ReceiptHandle);
      return {};
    },
    PurgeQueue: async (input) => {
      queues.purge(queueOf(parse(queueUrl, input)));
      return {};
    },
    GetQueueAttributes: async (input) => {
      const request = parse(attributesSchema, input);
      const queue = queueOf(request);
      const all = queueAttributes(queue, queues.counts(queue));
      const names = request.AttributeNames ?? [];
      if (names.includes('All')) return { Attributes: all };
      const unknown = names.find((n) => !(n in all) && !OPTIONAL_ATTRIBUTES.has(n));
      if (unknown) throw new AwsServiceError('InvalidAttributeName', `Unknown Attribute ${unknown}.`);
      const chosen = Object.fromEntries(names.filter((n) => n in all).map((n) => [n, all[n]]));
      return Object.keys(chosen).length ? { Attributes: chosen } : {};
    },
  };
}

/** Attributes SQS knows that the twin's queues never have (FIFO and policy settings). */
const OPTIONAL_ATTRIBUTES = new Set(['Policy', 'RedriveAllowPolicy', 'FifoQueue', 'ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit', 'KmsDataKeyReusePeriodSeconds']);

function queueAttributes(queue: QueueDefinition, counts: { visible: number; notVisible: number; delayed: number }): Record<string, string> {
  return {
    QueueArn: queue.arn,
    ApproximateNumberOfMessages: String(counts.visible),
    ApproximateNumberOfMessagesNotVisible: String(counts.notVisible),
    ApproximateNumberOfMessagesDelayed: String(counts.delayed),
    VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(queue.messageRetentionSeconds),
    DelaySeconds: String(queue.delaySeconds),
    MaximumMessageSize: String(queue.maximumMessageSize),
    ReceiveMessageWaitTimeSeconds: String(queue.receiveMessageWaitTimeSeconds),
    SqsManagedSseEnabled: String(queue.sqsManagedSseEnabled),
    ...(queue.kmsMasterKeyId !== undefined && { KmsMasterKeyId: queue.kmsMasterKeyId }),
    ...(queue.redrive && { RedrivePolicy: JSON.stringify(queue.redrive) }),
  };
}

/** A received message: system attributes and message attributes only as the request asked for them, as SQS returns them. */
function messageJson(message: StoredMessage & { receiptHandle: string }, systemNames: string[], attributeNames: string[]) {
  const system: Record<string, string> = {
    SenderId: message.senderId,
    SentTimestamp: String(message.sentTimestamp),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp ?? message.sentTimestamp),
  };
  const wantedSystem = systemNames.includes('All') ? Object.keys(system) : systemNames.filter((n) => n in system);
  const wanted = (name: string) =>
    attributeNames.some((pattern) => pattern === 'All' || pattern === '.*' || pattern === name || (pattern.endsWith('.*') && name.startsWith(pattern.slice(0, -1))));
  const attributes: Record<string, MessageAttributeValue> = Object.fromEntries(Object.entries(message.messageAttributes).filter(([name]) => wanted(name)));
  return {
    MessageId: message.messageId,
    ReceiptHandle: message.receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
    ...(wantedSystem.length && { Attributes: Object.fromEntries(wantedSystem.map((n) => [n, system[n]])) }),
    ...(Object.keys(attributes).length && { MessageAttributes: attributes, MD5OfMessageAttributes: md5OfMessageAttributes(attributes) }),
  };
}
