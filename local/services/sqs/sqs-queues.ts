import { randomUUID } from 'node:crypto';
import type { SynthesizedApp } from '../../assembly/synthesized-app';
import type { Clock } from '../../clock';
import { AwsServiceError } from '../../http/twin-server';
import type { Timeline } from '../../timeline';
import type { Datapoint } from '../cloudwatch/emf';
import { md5Hex, md5OfMessageAttributes, type MessageAttributeValue } from './message-md5';
import { type QueueDefinition, queuesFromTemplates } from './queue-definition';

export interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly messageAttributes: Record<string, MessageAttributeValue>;
  readonly md5OfMessageAttributes?: string;
  /** Real epoch ms, like every timestamp of the twin. */
  readonly sentTimestamp: number;
  readonly senderId: string;
  /** Real epoch ms before which receives do not see it (delay, then each visibility timeout). */
  visibleAt: number;
  receiveCount: number;
  firstReceiveTimestamp?: number;
  /** The handle of the latest receive; a delete with an older one still deletes, as in a standard queue. */
  receiptHandle?: string;
}

interface QueueState {
  definition: QueueDefinition;
  messages: StoredMessage[];
  /** Counts since the last metric publication (the per-minute Sum CloudWatch shows). */
  sent: number;
  received: number;
  deleted: number;
  emptyReceives: number;
  lastPurgeAt?: number;
}

export interface SendOptions {
  readonly messageAttributes?: Record<string, MessageAttributeValue>;
  readonly delaySeconds?: number;
  /** @default the account id */
  readonly senderId?: string;
}

export interface ReceiveOptions {
  readonly maxNumberOfMessages?: number;
  readonly visibilityTimeoutSeconds?: number;
  readonly waitTimeSeconds?: number;
}

/** The AWS/SQS metrics a queue publishes every minute. */
const METRIC_PERIOD_MS = 60_000;
/** SQS allows one PurgeQueue per queue every 60 seconds. */
const PURGE_INTERVAL_MS = 60_000;
const LONG_POLL_STEP_MS = 25;

const queueDoesNotExist = () => new AwsServiceError('QueueDoesNotExist', 'The specified queue does not exist.');

/**
 * AWS::SQS::Queue from the templates: standard queues holding messages in memory, with delays, visibility timeouts,
 * retention and RedrivePolicy on the twin's clock (a template's seconds are divided by the time scale, like every
 * template duration), long polling, and the AWS/SQS metrics published once per twin minute. FIFO queues are loaded
 * but refuse messages: the twin does not model their ordering and deduplication.
 */
export class SqsQueues {
  private readonly queues = new Map<string, QueueState>();
  private timer?: NodeJS.Timeout;

  constructor(
    private app: SynthesizedApp,
    private readonly clock: Clock,
    private readonly timeline: Timeline,
    private readonly putMetric: (datapoint: Datapoint) => void,
  ) {
    for (const definition of queuesFromTemplates(app)) this.queues.set(definition.name, emptyQueue(definition));
  }

  /** A stack update: new queues created, changed ones reconfigured keeping their messages, removed ones deleted. */
  reconcile(app: SynthesizedApp): void {
    this.app = app;
    const definitions = queuesFromTemplates(app);
    const kept = new Set(definitions.map((d) => d.name));
    for (const name of [...this.queues.keys()]) if (!kept.has(name)) this.queues.delete(name);
    for (const definition of definitions) {
      const existing = this.queues.get(definition.name);
      if (existing) existing.definition = definition;
      else this.queues.set(definition.name, emptyQueue(definition));
    }
  }

  start(): void {
    this.timer ??= this.clock.every(METRIC_PERIOD_MS, () => this.publishMetrics());
  }

  stop(): void {
    if (this.timer) this.clock.cancel(this.timer);
    this.timer = undefined;
  }

  get definitions(): QueueDefinition[] {
    return [...this.queues.values()].map((q) => q.definition);
  }

  /** The queue of a QueueUrl (any host: the path's `/<account>/<name>` names it, as SQS reads it). */
  byUrl(url: string): QueueDefinition {
    let path: string;
    try {
      path = new URL(url).pathname;
    } catch {
      throw new AwsServiceError('InvalidAddress', `The address ${url} is not valid for this endpoint.`);
    }
    const [account, name] = path.split('/').filter(Boolean);
    return this.named(name, account);
  }

  byArn(arn: string): QueueDefinition {
    const [, , service, , account, name] = arn.split(':');
    if (service !== 'sqs') throw queueDoesNotExist();
    return this.named(name, account);
  }

  named(name: string | undefined, account = this.app.env.accountId): QueueDefinition {
    const queue = name === undefined ? undefined : this.queues.get(name);
    if (!queue || account !== this.app.env.accountId) throw queueDoesNotExist();
    return queue.definition;
  }

  send(queue: QueueDefinition, body: string, options: SendOptions = {}): StoredMessage {
    const state = this.state(queue);
    if (state.definition.fifo) {
      throw new AwsServiceError('UnsupportedOperation', `${queue.name} is a FIFO queue; the twin models standard queues only.`);
    }
    const attributes = options.messageAttributes ?? {};
    const size = Buffer.byteLength(body) + Object.entries(attributes).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v.DataType) + Buffer.byteLength(v.StringValue ?? v.BinaryValue ?? ''), 0);
    if (size > state.definition.maximumMessageSize) {
      throw new AwsServiceError('InvalidParameterValue', `One or more parameters are invalid. Reason: Message must be shorter than ${state.definition.maximumMessageSize} bytes.`);
    }
    const now = Date.now();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5Hex(body),
      messageAttributes: attributes,
      md5OfMessageAttributes: md5OfMessageAttributes(attributes),
      sentTimestamp: now,
      senderId: options.senderId ?? this.app.env.accountId,
      visibleAt: now + this.clock.realMs((options.delaySeconds ?? state.definition.delaySeconds) * 1000),
      receiveCount: 0,
    };
    state.messages.push(message);
    state.sent++;
    return message;
  }

  /** Visible messages, each hidden for the visibility timeout; waits up to the long-poll time when there are none. */
  async receive(queue: QueueDefinition, options: ReceiveOptions = {}): Promise<Array<StoredMessage & { receiptHandle: string }>> {
    const state = this.state(queue);
    const waitMs = this.clock.realMs((options.waitTimeSeconds ?? state.definition.receiveMessageWaitTimeSeconds) * 1000);
    const deadline = Date.now() + waitMs;
    for (;;) {
      const taken = this.take(state, options);
      if (taken.length || Date.now() >= deadline || !this.queues.has(queue.name)) {
        if (!taken.length) state.emptyReceives++;
        return taken;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(LONG_POLL_STEP_MS, deadline - Date.now())));
    }
  }

  delete(queue: QueueDefinition, receiptHandle: string): void {
    const state = this.state(queue);
    const messageId = messageIdOf(receiptHandle);
    if (!messageId) throw new AwsServiceError('ReceiptHandleIsInvalid', `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`);
    const index = state.messages.findIndex((m) => m.messageId === messageId);
    if (index < 0) return; // already deleted: SQS answers success
    state.messages.splice(index, 1);
    state.deleted++;
  }

  purge(queue: QueueDefinition): number {
    const state = this.state(queue);
    const now = Date.now();
    if (state.lastPurgeAt !== undefined && now - state.lastPurgeAt < this.clock.realMs(PURGE_INTERVAL_MS)) {
      throw new AwsServiceError('PurgeQueueInProgress', `Only one PurgeQueue operation on ${queue.name} is allowed every 60 seconds.`, 403);
    }
    state.lastPurgeAt = now;
    const purged = state.messages.length;
    state.messages.length = 0;
    return purged;
  }

  /** The queue's counts, as GetQueueAttributes and the metrics report them. */
  counts(queue: QueueDefinition): { visible: number; notVisible: number; delayed: number } {
    const state = this.state(queue);
    const now = Date.now();
    let visible = 0;
    let notVisible = 0;
    let delayed = 0;
    for (const message of state.messages) {
      if (message.visibleAt <= now) visible++;
      else if (message.receiveCount > 0) notVisible++;
      else delayed++;
    }
    return { visible, notVisible, delayed };
  }

  /** The messages a queue holds now, oldest first (for the console and tests; receives are not counted). */
  peek(queue: QueueDefinition): readonly StoredMessage[] {
    return [...this.state(queue).messages];
  }

  private take(state: QueueState, options: ReceiveOptions): Array<StoredMessage & { receiptHandle: string }> {
    const now = Date.now();
    const max = options.maxNumberOfMessages ?? 1;
    const visibilityMs = this.clock.realMs((options.visibilityTimeoutSeconds ?? state.definition.visibilityTimeoutSeconds) * 1000);
    const taken: Array<StoredMessage & { receiptHandle: string }> = [];
    for (const message of [...state.messages]) {
      if (taken.length >= max) break;
      if (message.visibleAt > now) continue;
      const redrive = state.definition.redrive;
      if (redrive && message.receiveCount >= redrive.maxReceiveCount && this.redrive(state, message, redrive.deadLetterTargetArn)) continue;
      message.receiveCount++;
      message.firstReceiveTimestamp ??= now;
      message.visibleAt = now + visibilityMs;
      message.receiptHandle = receiptHandleOf(message.messageId);
      taken.push(message as StoredMessage & { receiptHandle: string });
    }
    state.received += taken.length;
    return taken;
  }

  /** Moves a message received maxReceiveCount times to its dead-letter queue, as SQS does on the next receive. */
  private redrive(state: QueueState, message: StoredMessage, deadLetterTargetArn: string): boolean {
    const target = this.queues.get(deadLetterTargetArn.split(':')[5]);
    if (!target) return false; // SQS keeps the message where it is when the dead-letter queue is gone
    state.messages.splice(state.messages.indexOf(message), 1);
    target.messages.push({ ...message, visibleAt: Date.now(), receiptHandle: undefined });
    this.timeline.add('sqs', `${state.definition.name}: message ${message.messageId} received ${message.receiveCount} times -> ${target.definition.name}`);
    return true;
  }

  private state(queue: QueueDefinition): QueueState {
    const state = this.queues.get(queue.name);
    if (!state) throw queueDoesNotExist();
    this.expire(state);
    return state;
  }

  /** Messages older than the retention period are gone, as SQS deletes them. */
  private expire(state: QueueState): void {
    const oldest = Date.now() - this.clock.realMs(state.definition.messageRetentionSeconds * 1000);
    const kept = state.messages.filter((m) => m.sentTimestamp > oldest);
    if (kept.length !== state.messages.length) state.messages.splice(0, state.messages.length, ...kept);
  }

  private publishMetrics(): void {
    const timestamp = Date.now();
    for (const state of this.queues.values()) {
      const { definition } = state;
      const { visible, notVisible, delayed } = this.counts(definition);
      const oldest = state.messages.reduce((min, m) => Math.min(min, m.sentTimestamp), timestamp);
      const values: Array<[string, number, string]> = [
        ['ApproximateNumberOfMessagesVisible', visible, 'Count'],
        ['ApproximateNumberOfMessagesNotVisible', notVisible, 'Count'],
        ['ApproximateNumberOfMessagesDelayed', delayed, 'Count'],
        // Template seconds, like the queue's own retention and visibility settings.
        ['ApproximateAgeOfOldestMessage', Math.floor(((timestamp - oldest) / 1000) * this.clock.scale), 'Seconds'],
        ['NumberOfMessagesSent', state.sent, 'Count'],
        ['NumberOfMessagesReceived', state.received, 'Count'],
        ['NumberOfMessagesDeleted', state.deleted, 'Count'],
        ['NumberOfEmptyReceives', state.emptyReceives, 'Count'],
      ];
      for (const [metricName, value, unit] of values) {
        this.putMetric({ namespace: 'AWS/SQS', metricName, dimensions: { QueueName: definition.name }, timestamp, value, unit });
      }
      state.sent = state.received = state.deleted = state.emptyReceives = 0;
    }
  }
}

function emptyQueue(definition: QueueDefinition): QueueState {
  return { definition, messages: [], sent: 0, received: 0, deleted: 0, emptyReceives: 0 };
}

function receiptHandleOf(messageId: string): string {
  return Buffer.from(`${messageId} ${randomUUID()}`).toString('base64');
}

function messageIdOf(receiptHandle: string): string | undefined {
  const decoded = Buffer.from(receiptHandle, 'base64').toString('utf8');
  const match = /^([0-9a-f-]{36}) [0-9a-f-]{36}$/.exec(decoded);
  return match?.[1];
}
