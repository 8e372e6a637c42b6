import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CfnOutput, type Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterQueue, ruleTargetOptions } from '../../../../lib/private/queues';
import { waitFor } from '../../../../local/driver/loop-session';
import { LOCAL_CREDENTIALS } from '../../../../local/services/aws-environment';
import { deadLetterAttributes, deliveryFailure, nextAttempt } from '../../../../local/services/events/target-delivery-failure';
import { Twin } from '../../../../local/twin';
import { synthesize } from '../../support/synth';

const named = (name: string, message = 'refused') => Object.assign(new Error(message), { name });
const half = () => 0.5;

describe('EventBridge retry policy', () => {
  it('sends a failure no retry can fix (a missing target) to the dead-letter queue at once', () => {
    const failure = deliveryFailure(named('ResourceNotFoundException', 'Function not found'));
    expect(failure).toEqual({ code: 'NO_RESOURCE', message: 'Function not found', retryable: false });
    expect(nextAttempt(failure, { MaximumRetryAttempts: 8 }, 0, 0)).toEqual({});
  });

  it('retries other failures with exponential back-off until MaximumRetryAttempts', () => {
    const throttled = deliveryFailure(named('TooManyRequestsException'));
    expect(throttled).toMatchObject({ code: 'THROTTLING', retryable: true });
    const delays = [0, 1, 2, 3].map((retries) => (nextAttempt(throttled, { MaximumRetryAttempts: 4 }, retries, 0, half) as { delayMs: number }).delayMs);
    expect(delays).toEqual([750, 1_500, 3_000, 6_000]);
    expect(nextAttempt(throttled, { MaximumRetryAttempts: 4 }, 4, 0, half)).toEqual({ exhausted: 'MaximumRetryAttempts' });
  });

  it('stops when the next attempt would come after MaximumEventAgeInSeconds', () => {
    const unknown = deliveryFailure(named('SomethingElse'));
    expect(unknown).toMatchObject({ code: 'UNKNOWN', retryable: true });
    expect(nextAttempt(unknown, { MaximumEventAgeInSeconds: 60 }, 3, 59_000, half)).toEqual({ exhausted: 'MaximumEventAgeInSeconds' });
    expect(nextAttempt(unknown, undefined, 3, 59_000, half)).toEqual({ delayMs: 6_000 }); // default: 185 retries, 24 hours
  });

  it('names the rule, the target, the error and the retries in the dead-letter message attributes', () => {
    const attributes = deadLetterAttributes('arn:rule', 'arn:target', { code: 'THROTTLING', message: 'slow down', retryable: true }, 4, 'MaximumRetryAttempts');
    expect(Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, v.StringValue]))).toEqual({
      RULE_ARN: 'arn:rule',
      TARGET_ARN: 'arn:target',
      ERROR_CODE: 'THROTTLING',
      ERROR_MESSAGE: 'slow down',
      RETRY_ATTEMPTS: '4',
      EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts',
    });
  });
});

describe('EventBridge dead-letter queues in the twin', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'rule-dlq-'));
  const goneArn = 'arn:aws:lambda:us-east-1:000000000000:function:deleted-since';
  let twin: Twin;
  let client: SQSClient;

  beforeAll(async () => {
    // GIVEN a rule whose target function no longer exists, with the platform's retry policy and dead-letter queue
    const cdkOut = synthesize((stack: Stack) => {
      const dlq = deadLetterQueue(stack, 'RuleDlq');
      const rule = new events.Rule(stack, 'Orders', { eventPattern: { source: ['test.orders'] } });
      rule.addTarget(new targets.LambdaFunction(lambda.Function.fromFunctionArn(stack, 'Gone', goneArn), ruleTargetOptions(dlq)));
      new CfnOutput(stack, 'DlqUrl', { value: dlq.queueUrl });
      new CfnOutput(stack, 'RuleArn', { value: rule.ruleArn });
    }, 'RuleDlqStack');
    twin = await Twin.start({ cdkOut, dataDirectory: join(scratch, 'data'), timeScale: 600 });
    client = new SQSClient({ region: 'us-east-1', endpoint: twin.url, credentials: LOCAL_CREDENTIALS });
  });

  afterAll(async () => {
    client?.destroy();
    await twin?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('puts an event its target cannot take in the dead-letter queue with the attributes EventBridge adds', async () => {
    const [sent] = twin.events.putEvents([{ Source: 'test.orders', DetailType: 'Order Placed', Detail: '{"order":7}' }]).Entries;
    const message = await waitFor('dead letter', 5_000, async () => {
      const { Messages } = await client.send(new ReceiveMessageCommand({ QueueUrl: twin.output('DlqUrl'), MessageAttributeNames: ['All'] }));
      return Messages?.[0];
    });
    expect(JSON.parse(message.Body!)).toMatchObject({ id: sent.EventId, source: 'test.orders', 'detail-type': 'Order Placed', detail: { order: 7 } });
    const attributes = Object.fromEntries(Object.entries(message.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue]));
    expect(attributes).toEqual({
      RULE_ARN: twin.output('RuleArn'),
      TARGET_ARN: goneArn,
      ERROR_CODE: 'NO_RESOURCE',
      ERROR_MESSAGE: expect.stringContaining('Function not found'),
      RETRY_ATTEMPTS: '0',
    });
  });
});
