import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { encryptedLogGroup } from './log-encryption';
import { acknowledge, acknowledgeWildcardResource } from './nag';

/**
 * Lambda errors that say nothing about the input: the service was busy or failed. Only these are retried; an error
 * thrown by the handler is a verdict on the input and retrying it would give the same answer.
 */
const TRANSIENT_LAMBDA_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];

export interface LambdaStepProps {
  readonly comment: string;
  /** The payload: an object in Step Functions' Parameters syntax (`'field.$': '$.path'`). */
  readonly payload: Record<string, unknown>;
  /** Where the function's response goes in the state. */
  readonly resultPath: string;
}

/** A Lambda task whose result is the function's response itself, retried on transient Lambda errors only. */
export function lambdaStep(scope: Construct, id: string, fn: lambda.IFunction, props: LambdaStepProps): tasks.LambdaInvoke {
  const step = new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: fn,
    comment: props.comment,
    payload: sfn.TaskInput.fromObject(props.payload),
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    resultPath: props.resultPath,
  });
  step.addRetry({ errors: TRANSIENT_LAMBDA_ERRORS, interval: Duration.seconds(2), maxAttempts: 4, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
  return step;
}

export interface MonitoredStateMachineProps {
  readonly definitionBody: sfn.DefinitionBody;
  readonly comment: string;
  readonly timeout: Duration;
}

/**
 * A standard state machine with X-Ray tracing and every execution event logged (level ALL, with execution data):
 * the inputs are S3 URIs, metrics and version numbers, never personal data, and a failed run is debugged from them.
 */
export function monitoredStateMachine(scope: Construct, id: string, props: MonitoredStateMachineProps): sfn.StateMachine {
  const logGroup = encryptedLogGroup(scope, `${id}Logs`, {
    retention: logs.RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  return new sfn.StateMachine(scope, id, {
    definitionBody: props.definitionBody,
    comment: props.comment,
    stateMachineType: sfn.StateMachineType.STANDARD,
    timeout: props.timeout,
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
  });
}

export interface WildcardGrant {
  /** The ARN with `*` an L2 task grant put in the state machine role's policy. */
  readonly resource: string;
  readonly reason: string;
}

/**
 * Acknowledges the wildcards Step Functions task grants put in a state machine's role: the listed ARN patterns and
 * the `*` of actions without resource-level permissions (log delivery, X-Ray, and whatever `starActions` names).
 */
export function acknowledgeStateMachineRole(
  stateMachine: sfn.StateMachine,
  grants: readonly WildcardGrant[],
  starActions = '',
): void {
  for (const grant of grants) acknowledgeWildcardResource(stateMachine.role, grant.resource, grant.reason);
  acknowledge(
    stateMachine.role,
    'AwsSolutions-IAM5[Resource::*]',
    `Log delivery (logs:*LogDelivery, DescribeLogGroups/ResourcePolicies) and X-Ray actions support no resource-level permissions${starActions ? `; ${starActions}` : ''}. test/lib/team-stack*.test.ts check that only such actions use '*' (iamWildcardProblems).`,
  );
}
