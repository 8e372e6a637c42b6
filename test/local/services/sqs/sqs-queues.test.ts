import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { CfnOutput, Duration, type Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../../../local/services/aws-environment';
import { md5OfMessageAttributes } from '../../../../local/services/sqs/message-md5';
import { Twin } from '../../../../local/twin';
import { Clock } from '../../../../local/clock';
import { SqsQueues } from '../../../../local/services/sqs/sqs-queues';
import { Timeline } from '../../../../local/timeline';
import { readApp, synthesize } from '../../support/synth';

/** 600x: a template minute is 100 ms, the Orders queue's 300 s visibility timeout 500 ms. */
const TIME_SCALE = 600;

describe('SQS in the twin, through the unchanged AWS SDK', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'sqs-'));
  let twin: Twin;
  let client: SQSClient;
  let QueueUrl: string;

  beforeAll(async () => {
    // GIVEN a queue with a generated name, as CloudFormation creates it
    const cdkOut = synthesize((stack: Stack) => {
      const queue = new sqs.Queue(stack, 'Orders', { visibilityTimeout: Duration.seconds(300) });
      new CfnOutput(stack, 'QueueUrl', { value: queue.queueUrl });
      new CfnOutput(stack, 'QueueName', { value: queue.queueName });
      new CfnOutput(stack, 'QueueArn', { value: queue.queueArn });
      const poison = new sqs.Queue(stack, 'Poison');
      const jobs = new sqs.Queue(stack, 'Jobs', { visibilityTimeout: Duration.seconds(30), deadLetterQueue: { queue: poison, maxReceiveCount: 2 } });
      new CfnOutput(stack, 'JobsUrl', { value: jobs.queueUrl });
      new CfnOutput(stack, 'PoisonUrl', { value: poison.queueUrl });
      const shortLived = new sqs.Queue(stack, 'ShortLived', { retentionPeriod: Duration.seconds(60) });
      new CfnOutput(stack, 'ShortLivedUrl', { value: shortLived.queueUrl });
    }, 'SqsStack');
    twin = await Twin.start({ cdkOut, dataDirectory: join(scratch, 'data'), timeScale: TIME_SCALE });
    client = new SQSClient({ region: 'us-east-1', endpoint: twin.url, credentials: LOCAL_CREDENTIALS });
    QueueUrl = twin.output('QueueUrl');
  });

  afterAll(async () => {
    client?.destroy();
    await twin?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const approximate = async () =>
    Number((await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes?.ApproximateNumberOfMessages);

  it('resolves the queue URL, name and ARN as CloudFormation does', async () => {
    const name = twin.output('QueueName');
    expect(name).toMatch(/^SqsStack-Orders[A-Z0-9]+-[A-Z0-9]{12}$/);
    expect(QueueUrl).toBe(`https://sqs.us-east-1.amazonaws.com/000000000000/${name}`);
    expect(twin.output('QueueArn')).toBe(`arn:aws:sqs:us-east-1:000000000000:${name}`);
    expect((await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl).toBe(QueueUrl);
    expect((await client.send(new ListQueuesCommand({ QueueNamePrefix: 'SqsStack-Orders' }))).QueueUrls).toEqual([QueueUrl]);
  });

  it('sends, receives (hidden for the visibility timeout) and deletes, with the MD5s the SDK checks', async () => {
    const MessageAttributes = { Reason: { DataType: 'String', StringValue: 'late' }, Attempt: { DataType: 'Number', StringValue: '2' } };
    const sent = await client.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"order":1}', MessageAttributes }));
    expect(sent.MD5OfMessageAttributes).toBe(md5OfMessageAttributes(MessageAttributes));
    expect(await approximate()).toBe(1);

    const first = await client.send(new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    expect(first.Messages).toHaveLength(1);
    expect(first.Messages![0]).toMatchObject({ MessageId: sent.MessageId, Body: '{"order":1}', MessageAttributes, Attributes: { ApproximateReceiveCount: '1' } });
    // In flight: not visible to another receive, not counted as available.
    expect((await client.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();
    expect(await approximate()).toBe(0);

    // After the visibility timeout (300 template seconds) it is back, received a second time, without attributes not asked for.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const again = await client.send(new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    expect(again.Messages![0]).toMatchObject({ MessageId: sent.MessageId, Attributes: { ApproximateReceiveCount: '2' } });
    expect(again.Messages![0].MessageAttributes).toBeUndefined();

    await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: again.Messages![0].ReceiptHandle }));
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await client.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();
  });

  it('holds a delayed message back for its DelaySeconds, and drops messages older than the retention period', async () => {
    await client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'later', DelaySeconds: 300 }));
    const delayed = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessagesDelayed', 'ApproximateNumberOfMessages'] }));
    expect(delayed.Attributes).toEqual({ ApproximateNumberOfMessagesDelayed: '1', ApproximateNumberOfMessages: '0' });
    await new Promise((resolve) => setTimeout(resolve, 600));
    const received = await client.send(new ReceiveMessageCommand({ QueueUrl }));
    expect(received.Messages?.[0].Body).toBe('later');
    await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: received.Messages![0].ReceiptHandle }));

    const shortLived = twin.output('ShortLivedUrl');
    await client.send(new SendMessageCommand({ QueueUrl: shortLived, MessageBody: 'stale soon' }));
    await new Promise((resolve) => setTimeout(resolve, 150)); // past the 60 s retention
    expect((await client.send(new ReceiveMessageCommand({ QueueUrl: shortLived }))).Messages).toBeUndefined();
  });

  it('purges a queue, once per 60 seconds', async () => {
    await client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a' }));
    await client.send(new PurgeQueueCommand({ QueueUrl }));
    expect(await approximate()).toBe(0);
    await expect(client.send(new PurgeQueueCommand({ QueueUrl }))).rejects.toMatchObject({ name: 'PurgeQueueInProgress' });
  });

  it('answers SQS error codes for a missing queue, a bad receipt handle and an invalid parameter', async () => {
    const missing = QueueUrl.replace(/[^/]+$/, 'no-such-queue');
    await expect(client.send(new SendMessageCommand({ QueueUrl: missing, MessageBody: 'x' }))).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
    await expect(client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: 'not-a-handle' }))).rejects.toMatchObject({ name: 'ReceiptHandleIsInvalid' });
    await expect(client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 11 }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringMatching(/^Value for parameter MaxNumberOfMessages is invalid/),
    });
  });

  it('moves a message received maxReceiveCount times to the RedrivePolicy dead-letter queue', async () => {
    const jobs = twin.output('JobsUrl');
    const sent = await client.send(new SendMessageCommand({ QueueUrl: jobs, MessageBody: 'poison pill' }));
    for (let receive = 1; receive <= 2; receive++) {
      expect((await client.send(new ReceiveMessageCommand({ QueueUrl: jobs }))).Messages?.[0].MessageId).toBe(sent.MessageId);
      await new Promise((resolve) => setTimeout(resolve, 80)); // past the 30 s visibility timeout, never deleted
    }
    expect((await client.send(new ReceiveMessageCommand({ QueueUrl: jobs }))).Messages).toBeUndefined();
    const redriven = await client.send(new ReceiveMessageCommand({ QueueUrl: twin.output('PoisonUrl') }));
    expect(redriven.Messages?.[0]).toMatchObject({ MessageId: sent.MessageId, Body: 'poison pill' });
  });

  it('needs an explicit endpoint: with only AWS_ENDPOINT_URL the SDK sends a request to its QueueUrl host (the README says so)', async () => {
    const saved = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = twin.url;
    const envOnly = new SQSClient({ region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
    let host: string | undefined;
    envOnly.middlewareStack.add(
      () => async (args) => {
        host = (args.request as { hostname?: string }).hostname;
        throw new Error('not sent');
      },
      { step: 'finalizeRequest' },
    );
    try {
      await expect(envOnly.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }))).rejects.toThrow('not sent');
      expect(host).toBe('sqs.us-east-1.amazonaws.com');
    } finally {
      envOnly.destroy();
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = saved;
    }
  });

  it('publishes AWS/SQS ApproximateNumberOfMessagesVisible and NumberOfMessagesSent every twin minute', async () => {
    const QueueName = twin.output('QueueName');
    await new Promise((resolve) => setTimeout(resolve, 150)); // the earlier tests' sends are published by now
    const since = Date.now();
    await client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'counted' }));
    await new Promise((resolve) => setTimeout(resolve, 250)); // more than two template minutes
    const series = (metricName: string, stat: string) =>
      twin.metrics.query({ namespace: 'AWS/SQS', metricName, dimensions: { QueueName }, stat, periodMs: 100 }, since, Date.now() + 1);
    expect(series('ApproximateNumberOfMessagesVisible', 'Maximum').values.at(-1)).toBe(1);
    expect(series('NumberOfMessagesSent', 'Sum').values.reduce((a, b) => a + b, 0)).toBe(1);
    for (const other of ['ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed', 'ApproximateAgeOfOldestMessage', 'NumberOfMessagesReceived', 'NumberOfMessagesDeleted', 'NumberOfEmptyReceives']) {
      expect(series(other, 'Maximum').values.length, other).toBeGreaterThan(0);
    }
  });
});

describe('SQS queues in process', () => {
  const singleQueue = () => {
    const queues = new SqsQueues(readApp(synthesize((stack) => new sqs.Queue(stack, 'A', { queueName: 'queue-a' }))), new Clock(1), new Timeline(), () => undefined);
    return { queues, queue: queues.named('queue-a') };
  };

  it('long-polls until a message arrives, and answers nothing once the wait is over', async () => {
    const { queues, queue } = singleQueue();
    const receiving = queues.receive(queue, { waitTimeSeconds: 20 });
    queues.send(queue, 'late arrival');
    expect((await receiving).map((m) => m.body)).toEqual(['late arrival']);

    const started = Date.now();
    expect(await queues.receive(queue, { waitTimeSeconds: 1 })).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
  });

  it('keeps the messages of a queue that stays, creates a new queue and deletes a removed one', () => {
    // GIVEN queues A and B with a message in A
    const before = readApp(synthesize((stack) => ['A', 'B'].forEach((id) => new sqs.Queue(stack, id, { queueName: `queue-${id.toLowerCase()}` }))));
    const queues = new SqsQueues(before, new Clock(1), new Timeline(), () => undefined);
    queues.send(queues.named('queue-a'), 'kept');

    // WHEN the update keeps A (with a new visibility timeout), removes B and adds C
    const after = readApp(
      synthesize((stack) => {
        new sqs.Queue(stack, 'A', { queueName: 'queue-a', visibilityTimeout: Duration.seconds(90) });
        new sqs.Queue(stack, 'C', { queueName: 'queue-c' });
      }),
    );
    queues.reconcile(after);

    // THEN
    expect(queues.peek(queues.named('queue-a')).map((m) => m.body)).toEqual(['kept']);
    expect(queues.named('queue-a').visibilityTimeoutSeconds).toBe(90);
    expect(queues.named('queue-c').url).toBe('https://sqs.eu-west-1.amazonaws.com/000000000000/queue-c');
    expect(() => queues.named('queue-b')).toThrow(expect.objectContaining({ name: 'QueueDoesNotExist' }));
  });
});
