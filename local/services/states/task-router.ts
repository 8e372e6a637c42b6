import type { LambdaService } from '../lambda/lambda-service';
import type { MapObjectStore } from './distributed-map';
import { TaskError } from './task-error';

/** What a Task state's resource can reach in the twin; each field is one integration family. */
export interface TaskIntegrations {
  readonly lambda: LambdaService;
  /** `arn:aws:states:::batch:submitJob.sync` */
  submitBatchJob(parameters: Record<string, unknown>): Promise<unknown>;
  /** `arn:aws:states:::sagemaker:createTrainingJob.sync` */
  createTrainingJob(parameters: Record<string, unknown>): Promise<unknown>;
  /** `arn:aws:states:::aws-sdk:<service>:<action>` and the optimized DynamoDB/SQS/SNS integrations. */
  awsSdk(service: string, action: string, parameters: Record<string, unknown>): Promise<unknown>;
  /** `arn:aws:states:::events:putEvents` */
  putEvents(parameters: Record<string, unknown>): Promise<unknown>;
  /** `arn:aws:states:::states:startExecution[.sync[:2]]` */
  startExecution(parameters: Record<string, unknown>, mode: 'async' | 'sync' | 'sync:2'): Promise<unknown>;
  /** What a Distributed Map reads its items from and writes its results to. */
  readonly objectStore: MapObjectStore;
}

export type TaskHandler = (input: unknown) => Promise<unknown>;

/**
 * Maps a Task state's Resource to the local implementation that honours the same contract: what the real service
 * integration passes in (the state's effective Parameters) and what it returns or fails with.
 */
export function taskHandler(resource: string, integrations: TaskIntegrations): TaskHandler {
  const integration = /^arn:aws[a-z-]*:states:::([a-z0-9-]+):([A-Za-z0-9]+)(?::([A-Za-z0-9]+))?(\.[a-z0-9:]+)?$/.exec(resource);
  if (integration) {
    const [, service, actionOrSdkService, sdkAction, suffix] = integration;
    if (service === 'aws-sdk') {
      return (input) => integrations.awsSdk(actionOrSdkService, sdkAction!, asObject(input));
    }
    const key = `${service}:${actionOrSdkService}${suffix ?? ''}`;
    switch (key) {
      case 'lambda:invoke':
        return (input) => invokeLambda(integrations.lambda, asObject(input));
      case 'batch:submitJob.sync':
        return (input) => integrations.submitBatchJob(asObject(input));
      case 'sagemaker:createTrainingJob.sync':
        return (input) => integrations.createTrainingJob(asObject(input));
      case 'events:putEvents':
        return (input) => integrations.putEvents(asObject(input));
      case 'states:startExecution':
        return (input) => integrations.startExecution(asObject(input), 'async');
      case 'states:startExecution.sync':
        return (input) => integrations.startExecution(asObject(input), 'sync');
      case 'states:startExecution.sync:2':
        return (input) => integrations.startExecution(asObject(input), 'sync:2');
    }
    if (['dynamodb', 'sqs', 'sns'].includes(service) && !suffix) {
      return (input) => integrations.awsSdk(service, actionOrSdkService, asObject(input));
    }
    return () => Promise.reject(new TaskError('States.Runtime', `the twin has no local implementation of ${resource}`));
  }
  if (/^arn:aws[a-z-]*:lambda:[^:]+:[^:]+:function:/.test(resource)) {
    return async (input) => {
      const { outcome } = await integrations.lambda.invoke(resource, input);
      if (!outcome.ok) throw new TaskError(outcome.payload.errorType, JSON.stringify(outcome.payload));
      return outcome.payload;
    };
  }
  return () => Promise.reject(new TaskError('States.Runtime', `the twin has no local implementation of ${resource}`));
}

/** `lambda:invoke`: the response shaped like the integration's, a function error failing with its errorType. */
async function invokeLambda(lambda: LambdaService, input: Record<string, unknown>): Promise<unknown> {
  const name = String(input.FunctionName);
  const qualifier = input.Qualifier === undefined ? undefined : String(input.Qualifier);
  let invocation;
  try {
    invocation = await lambda.invoke(name, input.Payload ?? {}, qualifier);
  } catch (err) {
    throw new TaskError(`Lambda.${(err as Error).name}`, (err as Error).message);
  }
  const { executedVersion, outcome } = invocation;
  if (!outcome.ok) throw new TaskError(outcome.payload.errorType, JSON.stringify(outcome.payload));
  return {
    ExecutedVersion: executedVersion,
    Payload: outcome.payload,
    SdkHttpMetadata: { HttpStatusCode: 200 },
    SdkResponseMetadata: {},
    StatusCode: 200,
  };
}

function asObject(input: unknown): Record<string, unknown> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new TaskError('States.Runtime', `task parameters must be an object, got ${JSON.stringify(input)}`);
  }
  return input as Record<string, unknown>;
}
