import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS } from '../../services/aws-environment';
import { type LoopSession, LoopStepError, waitFor } from '../loop-session';
import type { DrillResult } from './drill-result';

const NAME = 'dead letter';
/** Lambda's two retries wait 1 and 2 minutes, then the queue metric and the alarm take up to a minute each. */
const TEMPLATE_MINUTES_TO_ALARM = 6;

/**
 * An EventBridge target fails for real: the deployment flow's Release function receives a status-change event of the
 * deployment state machine that it cannot read (FAILED, without the execution's name), refuses it on every attempt
 * of Lambda's asynchronous retries, and Lambda puts the event in the function's dead-letter queue, whose alarm must
 * go to ALARM on the twin's clock. The queue, its alarm and the failures are found as an SRE would find them: the
 * function's configuration (Lambda API), the queue (SQS API), the alarm on the queue's metric (CloudWatch API) and
 * the function's AWS/Lambda Errors. The drill's own message is deleted afterwards; anything else in the queue stays.
 */
export async function deadLetterDrill(session: LoopSession): Promise<DrillResult> {
  const { twin } = session;
  const client = { region: twin.app.env.region, endpoint: twin.url, credentials: LOCAL_CREDENTIALS };
  const lambda = new LambdaClient(client);
  const sqs = new SQSClient(client);
  const cloudwatch = new CloudWatchClient(client);
  const timeoutMs = twin.clock.realMs(TEMPLATE_MINUTES_TO_ALARM * 60_000) + 30_000;
  let step = 'find the Release function dead-letter queue';
  try {
    const functionName = twin.output('DeploymentReleaseFunctionName');
    const { DeadLetterConfig } = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    const queueName = DeadLetterConfig?.TargetArn?.split(':')[5];
    if (!queueName) return { name: NAME, ok: false, line: `${functionName} has no dead-letter queue` };
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));

    step = 'inject the unreadable status-change event';
    const since = Date.now();
    // Only AWS services may emit events whose source starts with "aws." (PutEvents answers
    // NotAuthorizedForSourceException to anyone else), so the drill injects through the twin's own event bus, where
    // the twin's Step Functions emits its status changes, rather than through the EventBridge API.
    const stateMachineArn = twin.output('DeploymentStateMachineArn');
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:dead-letter-drill-${since}`;
    const event = twin.events.emit(
      'aws.states',
      'Step Functions Execution Status Change',
      { executionArn, stateMachineArn, status: 'FAILED', startDate: since, stopDate: since, error: 'DeadLetterDrill', cause: 'no execution name' },
      [executionArn],
    );

    step = `wait for the event in ${queueName}`;
    const message = await waitFor(step, timeoutMs, async () => {
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0, MessageAttributeNames: ['All'] }));
      return Messages?.find((m) => (JSON.parse(m.Body ?? '{}') as { id?: string }).id === event.id);
    });
    const refusals = twin.metrics
      .query({ namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: functionName }, stat: 'Sum', periodMs: 86_400_000 }, since, Date.now() + 1)
      .values.reduce((a, b) => a + b, 0);
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));

    step = `wait for the alarm on ${queueName}`;
    let seen: MetricAlarm | undefined;
    const alarm = await waitFor(step, timeoutMs, async () => {
      const { MetricAlarms } = await cloudwatch.send(new DescribeAlarmsCommand({}));
      seen = (MetricAlarms ?? []).find((a) => watchesQueue(a, queueName));
      if (!seen) throw new LoopStepError(NAME, `no alarm watches the visible messages of ${queueName}`);
      return seen.StateValue === 'ALARM' ? seen : undefined;
    }).catch(async (error: unknown) => {
      // Says where it stopped: the alarm's last state and reason, and what the queue holds.
      const { Attributes: now } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
      throw new Error(
        `${(error as Error).message}; ${seen?.AlarmName} was ${seen?.StateValue} (${seen?.StateReason ?? 'no reason given'}), ${queueName} holds ${now?.ApproximateNumberOfMessages} visible message(s)`,
      );
    });
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));

    const lambdaError = message.MessageAttributes?.ErrorMessage?.StringValue ?? '';
    return {
      name: NAME,
      ok: refusals >= 1 && alarm.StateValue === 'ALARM',
      line: `release event refused by ${functionName} ${refusals} times (${lambdaError.slice(0, 80)}) -> ${queueName} (${Attributes?.ApproximateNumberOfMessages} message${Attributes?.ApproximateNumberOfMessages === '1' ? '' : 's'}) -> alarm ${alarm.AlarmName} ${alarm.StateValue}`,
    };
  } catch (err) {
    return { name: NAME, ok: false, line: `${step}: ${(err as Error).message}` };
  } finally {
    lambda.destroy();
    sqs.destroy();
    cloudwatch.destroy();
  }
}

/** An alarm on the queue's ApproximateNumberOfMessagesVisible (what DescribeAlarmsForMetric would return). */
function watchesQueue(alarm: MetricAlarm, queueName: string): boolean {
  return (
    alarm.Namespace === 'AWS/SQS' &&
    alarm.MetricName === 'ApproximateNumberOfMessagesVisible' &&
    (alarm.Dimensions ?? []).some((d) => d.Name === 'QueueName' && d.Value === queueName)
  );
}
