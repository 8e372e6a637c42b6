import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetFunctionConfigurationCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CfnOutput, type Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoopAlarmActionStrategy } from '../../../../lib/monitoring/alarm-actions';
import { deadLetterQueue, nameDeadLetterAlarms } from '../../../../lib/private/queues';
import { LOCAL_CREDENTIALS } from '../../../../local/services/aws-environment';
import { Twin } from '../../../../local/twin';
import { waitFor } from '../../../../local/driver/loop-session';
import { synthesize } from '../../support/synth';

/** 600x: Lambda's one- and two-minute retry delays take 100 and 200 ms, an alarm minute 100 ms. */
const TIME_SCALE = 600;
const REFUSING_CODE = 'exports.handler = async (event) => { throw new Error(`cannot read detail ${JSON.stringify(event.detail)}`); };';

describe('Lambda asynchronous invocations: retries, then the function dead-letter queue', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'async-invocations-'));
  let twin: Twin;
  let client: SQSClient;

  beforeAll(async () => {
    // GIVEN two functions that always fail, each with a dead-letter queue; one with Lambda's default retries, one
    // with an EventInvokeConfig of no retry; a rule sends them the same event (EventBridge invokes asynchronously)
    const cdkOut = synthesize((stack: Stack) => {
      const make = (id: string, retryAttempts?: number) => {
        const dlq = deadLetterQueue(stack, `${id}Dlq`);
        const fn = new lambda.Function(stack, id, {
          runtime: lambda.Runtime.NODEJS_24_X,
          handler: 'index.handler',
          code: lambda.Code.fromInline(REFUSING_CODE),
          deadLetterQueue: dlq,
          retryAttempts,
        });
        new CfnOutput(stack, `${id}Name`, { value: fn.functionName });
        new CfnOutput(stack, `${id}DlqUrl`, { value: dlq.queueUrl });
        return fn;
      };
      const rule = new events.Rule(stack, 'Drill', { eventPattern: { source: ['test.drill'] } });
      rule.addTarget(new targets.LambdaFunction(make('DefaultRetries')));
      rule.addTarget(new targets.LambdaFunction(make('NoRetry', 0)));
      nameDeadLetterAlarms(stack, { team: 'test', model: 'm' }, new NoopAlarmActionStrategy());
    }, 'AsyncStack');
    twin = await Twin.start({ cdkOut, dataDirectory: join(scratch, 'data'), timeScale: TIME_SCALE });
    client = new SQSClient({ region: 'us-east-1', endpoint: twin.url, credentials: LOCAL_CREDENTIALS });
  });

  afterAll(async () => {
    client?.destroy();
    await twin?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const errorsOf = (functionName: string, since: number) =>
    twin.metrics
      .query({ namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: functionName }, stat: 'Sum', periodMs: 60_000 }, since, Date.now() + 1)
      .values.reduce((a, b) => a + b, 0);

  it('retries a failing function as Lambda does and puts the event in its dead-letter queue with Lambda attributes', async () => {
    // WHEN an event matches the rule
    const since = Date.now();
    const [sent] = twin.events.putEvents([{ Source: 'test.drill', DetailType: 'Drill', Detail: JSON.stringify({ status: 'FAILED' }) }]).Entries;

    // THEN each function's dead-letter queue receives the event as it was invoked, once its attempts ran out
    const receiveFrom = (output: string) =>
      waitFor('dead letter', 10_000, async () => {
        const { Messages } = await client.send(new ReceiveMessageCommand({ QueueUrl: twin.output(output), MessageAttributeNames: ['All'] }));
        return Messages?.[0];
      });
    const [defaultRetries, noRetry] = await Promise.all([receiveFrom('DefaultRetriesDlqUrl'), receiveFrom('NoRetryDlqUrl')]);
    expect(JSON.parse(defaultRetries.Body!)).toMatchObject({ id: sent.EventId, source: 'test.drill', detail: { status: 'FAILED' } });
    expect(defaultRetries.MessageAttributes).toEqual({
      RequestID: { DataType: 'String', StringValue: expect.stringMatching(/^[0-9a-f-]{36}$/) },
      ErrorCode: { DataType: 'Number', StringValue: '200' },
      ErrorMessage: { DataType: 'String', StringValue: 'cannot read detail {"status":"FAILED"}' },
    });
    // three attempts (two retries) by default; one when the EventInvokeConfig allows no retry
    expect(errorsOf(twin.output('DefaultRetriesName'), since)).toBe(3);
    expect(errorsOf(twin.output('NoRetryName'), since)).toBe(1);
    expect(noRetry.MessageAttributes?.RequestID.StringValue).not.toBe(defaultRetries.MessageAttributes?.RequestID.StringValue);
  });

  it('fires the dead-letter queue alarm once a message is visible, on the twin clock', async () => {
    const alarm = 'test-m-dead-letters-default-retries-dlq-critical';
    const state = await waitFor('alarm', 10_000, () => (twin.alarms.states.get(alarm)?.value === 'ALARM' ? 'ALARM' : undefined));
    expect(state).toBe('ALARM');
  });

  it('reports the function dead-letter queue in GetFunctionConfiguration, as Lambda does', async () => {
    const lambdaClient = new LambdaClient({ region: 'us-east-1', endpoint: twin.url, credentials: LOCAL_CREDENTIALS });
    const { DeadLetterConfig } = await lambdaClient.send(new GetFunctionConfigurationCommand({ FunctionName: twin.output('DefaultRetriesName') }));
    lambdaClient.destroy();
    const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: DeadLetterConfig!.TargetArn!.split(':')[5] }));
    expect(QueueUrl).toBe(twin.output('DefaultRetriesDlqUrl'));
  });

  it('runs an Invoke of InvocationType Event through the same retries and dead-letter queue', async () => {
    const lambdaClient = new LambdaClient({ region: 'us-east-1', endpoint: twin.url, credentials: LOCAL_CREDENTIALS });
    const accepted = await lambdaClient.send(
      new InvokeCommand({ FunctionName: twin.output('NoRetryName'), InvocationType: 'Event', Payload: new TextEncoder().encode('{"detail":"by hand"}') }),
    );
    lambdaClient.destroy();
    expect(accepted.StatusCode).toBe(202);
    const message = await waitFor('dead letter', 10_000, async () => {
      const { Messages } = await client.send(new ReceiveMessageCommand({ QueueUrl: twin.output('NoRetryDlqUrl'), MaxNumberOfMessages: 10 }));
      return Messages?.find((m) => m.Body === '{"detail":"by hand"}');
    });
    expect(message.Body).toBe('{"detail":"by hand"}');
  });

  it('refuses an asynchronous invocation of a function that does not exist, as Invoke does', () => {
    expect(() => twin.asyncInvocations.invoke('no-such-function', {})).toThrow(expect.objectContaining({ name: 'ResourceNotFoundException' }));
  });
});
