import { randomUUID } from 'node:crypto';
import type { SynthesizedApp } from '../../assembly/synthesized-app';
import type { Clock } from '../../clock';
import type { Timeline } from '../../timeline';
import type { MessageAttributeValue } from '../sqs/message-md5';
import { LambdaError, type LambdaService } from './lambda-service';

/** Sends a message to an SQS queue by its ARN; throws when there is no such queue. */
export type DeadLetterSender = (queueArn: string, body: string, attributes: Record<string, MessageAttributeValue>) => void;

/** Lambda's retries of an asynchronous invocation after a function error: two, one then two minutes apart. */
const DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 2;
const RETRY_DELAYS_MS = [60_000, 120_000];
/** The first 1 KB of the error message goes in the dead-letter message's ErrorMessage attribute. */
const ERROR_MESSAGE_BYTES = 1024;

/**
 * Asynchronous invocation (InvocationType `Event`), as Lambda runs it: the event is accepted at once (an unknown
 * function or qualifier is refused), then the function runs; after a function error Lambda retries it
 * MaximumRetryAttempts times (the function's AWS::Lambda::EventInvokeConfig, else 2), one minute and then two minutes
 * apart on the twin's clock, and then sends the event to the function's DeadLetterConfig.TargetArn (an SQS queue;
 * SNS topics are not modelled) with the RequestID, ErrorCode and ErrorMessage attributes. On-failure destinations of an
 * EventInvokeConfig are not sent.
 */
export class AsyncInvocations {
  constructor(
    private app: SynthesizedApp,
    private readonly lambda: LambdaService,
    private readonly clock: Clock,
    private readonly timeline: Timeline,
    private readonly sendToQueue: DeadLetterSender,
  ) {}

  reconcile(app: SynthesizedApp): void {
    this.app = app;
  }

  /** Queues the event and returns its request id; throws LambdaError ResourceNotFoundException like Invoke does. */
  invoke(identifier: string, event: unknown): string {
    const { state, qualifier } = this.lambda.parseIdentifier(identifier);
    if (qualifier !== undefined && qualifier !== '$LATEST' && !state.versions.has(qualifier) && !state.aliases.has(qualifier)) {
      throw new LambdaError('ResourceNotFoundException', `Function not found: ${identifier}`);
    }
    const requestId = randomUUID();
    const functionName = state.latest.name;
    // The dead-letter queue of the configuration invoked (a published version keeps the one it was published with).
    const deadLetterTargetArn = this.lambda.configuration(state, this.lambda.resolveVersionExact(state, qualifier)).deadLetterTargetArn;
    const retries = this.maximumRetryAttempts(functionName, qualifier ?? '$LATEST');
    const attempt = (number: number) => {
      void this.run(identifier, event).then((error) => {
        if (error === undefined) return;
        this.timeline.add('warning', `lambda ${functionName}: asynchronous invocation ${requestId} failed (attempt ${number + 1} of ${retries + 1}): ${error.errorType}: ${error.errorMessage}`);
        if (number < retries) this.clock.after(RETRY_DELAYS_MS[Math.min(number, RETRY_DELAYS_MS.length - 1)], () => attempt(number + 1));
        else this.deadLetter(functionName, deadLetterTargetArn, requestId, event, error, number + 1);
      });
    };
    attempt(0);
    return requestId;
  }

  /** One attempt; the function's error, or undefined when it succeeded. */
  private async run(identifier: string, event: unknown): Promise<{ errorType: string; errorMessage: string } | undefined> {
    try {
      const { outcome } = await this.lambda.invoke(identifier, event);
      return outcome.ok ? undefined : outcome.payload;
    } catch (err) {
      // The function (or its alias) went away between attempts: the attempt fails like a function error.
      return { errorType: (err as Error).name, errorMessage: (err as Error).message };
    }
  }

  private deadLetter(
    functionName: string,
    queueArn: string | undefined,
    requestId: string,
    event: unknown,
    error: { errorType: string; errorMessage: string },
    attempts: number,
  ): void {
    if (queueArn?.split(':')[2] !== 'sqs') {
      this.timeline.add('error', `lambda ${functionName}: asynchronous invocation ${requestId} dropped after ${attempts} attempts (no SQS dead-letter queue)`);
      return;
    }
    try {
      this.sendToQueue(queueArn, JSON.stringify(event), {
        RequestID: { DataType: 'String', StringValue: requestId },
        // The status code of the Invoke request itself: 200 for a function error.
        ErrorCode: { DataType: 'Number', StringValue: '200' },
        ErrorMessage: { DataType: 'String', StringValue: Buffer.from(error.errorMessage).subarray(0, ERROR_MESSAGE_BYTES).toString('utf8') },
      });
      this.timeline.add('lambda', `${functionName}: asynchronous invocation ${requestId} failed ${attempts} times -> dead-letter queue ${queueArn.split(':')[5]}`);
    } catch (err) {
      this.timeline.add('error', `lambda ${functionName}: dead-letter queue ${queueArn} refused invocation ${requestId}: ${(err as Error).message}`);
    }
  }

  private maximumRetryAttempts(functionName: string, qualifier: string): number {
    for (const { stack, logicalId } of this.app.resourcesOfType('AWS::Lambda::EventInvokeConfig')) {
      const props = stack.properties(logicalId);
      const name = String(props.FunctionName);
      const configured = name.startsWith('arn:') ? name.split(':')[6] : name;
      if (configured === functionName && String(props.Qualifier) === qualifier && props.MaximumRetryAttempts !== undefined) {
        return Number(props.MaximumRetryAttempts);
      }
    }
    return DEFAULT_MAXIMUM_RETRY_ATTEMPTS;
  }
}
