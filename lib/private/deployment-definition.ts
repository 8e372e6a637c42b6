import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { VersionStatus } from '../../contracts/registry-events';
import { lambdaStep } from './state-machines';

export const STATUS_APPROVED: VersionStatus = 'approved';
export const STATUS_ROLLED_BACK: VersionStatus = 'rolled_back';
export const STATUS_LIVE: VersionStatus = 'live';

/** The canary is looked at once per metric period (Lambda's metrics are per minute). */
export const WATCH_INTERVAL = Duration.minutes(1);
/** Begin is retried this often while another version deploys. */
const QUEUE_POLL = Duration.seconds(30);

/** The functions the deployment state machine invokes, by the step that runs them. */
export interface DeploymentStepFunctions {
  readonly begin: lambda.IFunction;
  readonly prepare: lambda.IFunction;
  readonly holdoutCheck: lambda.IFunction;
  readonly shiftTraffic: lambda.IFunction;
  readonly watchCanary: lambda.IFunction;
  readonly finalize: lambda.IFunction;
  readonly rollback: lambda.IFunction;
}

export interface DeploymentDefinitionOptions {
  /** Share of traffic the canary gets. */
  readonly canaryPercent: number;
  /** How long the canary is watched before promotion. */
  readonly canaryBake: Duration;
  /** The longest one deployment may take; Begin waits at most this long for the deployment ahead of it. */
  readonly maxDeployment: Duration;
}

/**
 * The deployment flow's definition. Route sends an approved event down the deploy path (ReadApprovedVersion -> Begin
 * -> Prepare -> HoldoutCheck -> Canary -> Bake/WatchCanary loop -> Promote -> Finalize, any failure -> Rollback) and
 * a live version's rolled_back event down the restore path. The states are created in `scope` (the DeploymentFlow),
 * so their names are the state names of the machine.
 */
export function deploymentDefinition(scope: Construct, steps: DeploymentStepFunctions, options: DeploymentDefinitionOptions): sfn.IChainable {
  const rollbackStep = rollbackState(scope, steps.rollback);
  return new sfn.Choice(scope, 'Route', { comment: 'approved -> deploy; rolled_back of a live version -> restore' })
    .when(sfn.Condition.stringEquals('$.detail.status', STATUS_APPROVED), deployPath(scope, steps, options, rollbackStep))
    .when(
      sfn.Condition.and(
        sfn.Condition.stringEquals('$.detail.status', STATUS_ROLLED_BACK),
        sfn.Condition.isString('$.detail.previousStatus'),
        sfn.Condition.stringEquals('$.detail.previousStatus', STATUS_LIVE),
      ),
      restorePath(scope, steps.rollback),
    )
    .otherwise(new sfn.Fail(scope, 'UnexpectedEvent', { error: 'UnexpectedEvent', cause: 'Input is not an approved or restore registry event' }));
}

/** The registry event's model version, owned by this execution (whose name is also the actor). */
const target = { 'model.$': '$.target.model', 'version.$': '$.target.version', 'execution.$': '$.target.execution' };
const withFunctionVersion = { ...target, 'functionVersion.$': '$.prepared.functionVersion' };

function readTarget(scope: Construct, id: string): sfn.Pass {
  return new sfn.Pass(scope, id, {
    comment: 'The registry event names the model version; the execution name owns the deployment and is the actor',
    parameters: { 'model.$': '$.detail.model', 'version.$': '$.detail.version', 'execution.$': '$$.Execution.Name' },
    resultPath: '$.target',
  });
}

/** Rollback, where every failure after Begin goes; a rollback that fails itself is left to the Release function. */
function rollbackState(scope: Construct, rollback: lambda.IFunction): sfn.TaskStateBase {
  const rollbackStep = lambdaStep(scope, 'Rollback', rollback, {
    comment: 'Alias back to the last live version; deploying -> rolled_back (only a deployment this execution owns)',
    payload: { ...target, 'error.$': '$.error' },
    resultPath: '$.rollback',
  });
  rollbackStep.next(new sfn.Fail(scope, 'DeploymentFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }));
  rollbackStep.addCatch(
    new sfn.Fail(scope, 'RollbackFailed', {
      error: 'RollbackFailed',
      cause: 'The rollback step itself failed; the Release function retries it on this failure. See the execution history.',
    }),
    { errors: [sfn.Errors.ALL], resultPath: '$.rollbackError' },
  );
  return rollbackStep;
}

/** Begin, which queues behind the deployment in progress; a Begin that cannot start ends the execution untouched. */
function beginState(scope: Construct, begin: lambda.IFunction, maxDeployment: Duration): sfn.TaskStateBase {
  const beginStep = lambdaStep(scope, 'Begin', begin, { comment: 'approved -> deploying, owned by this execution', payload: target, resultPath: '$.begin' });
  // The queue: while another version deploys, Begin is retried until that deployment ends (at most its timeout).
  beginStep.addRetry({
    errors: ['DeploymentInProgressError'],
    interval: QUEUE_POLL,
    maxAttempts: Math.ceil(maxDeployment.toSeconds() / QUEUE_POLL.toSeconds()),
    backoffRate: 1,
  });
  // Nothing began, so there is nothing to roll back, and the alias may belong to another deployment.
  beginStep.addCatch(new sfn.Fail(scope, 'DeploymentNotStarted', { errorPath: '$.error.Error', causePath: '$.error.Cause' }), {
    errors: [sfn.Errors.ALL],
    resultPath: '$.error',
  });
  return beginStep;
}

function deployPath(scope: Construct, steps: DeploymentStepFunctions, options: DeploymentDefinitionOptions, rollbackStep: sfn.TaskStateBase): sfn.IChainable {
  const { canaryPercent, canaryBake, maxDeployment } = options;
  const beginStep = beginState(scope, steps.begin, maxDeployment);
  const prepareStep = lambdaStep(scope, 'Prepare', steps.prepare, {
    comment: 'Set MODEL_VERSION on the function and publish a version',
    payload: target,
    resultPath: '$.prepared',
  });
  const holdoutStep = lambdaStep(scope, 'HoldoutCheck', steps.holdoutCheck, {
    comment: 'The published version must reproduce the evaluation metrics on the holdout split',
    payload: withFunctionVersion,
    resultPath: '$.holdout',
  });
  const canaryStep = lambdaStep(scope, 'Canary', steps.shiftTraffic, {
    comment: `${canaryPercent}% of the live alias to the new version`,
    payload: { ...withFunctionVersion, weightPercent: canaryPercent },
    resultPath: '$.canary',
  });
  const checks = Math.ceil(canaryBake.toSeconds() / WATCH_INTERVAL.toSeconds());
  const startWatch = new sfn.Pass(scope, 'StartWatch', { comment: `${checks} looks at the canary, one a minute`, result: sfn.Result.fromObject({ checks: 0 }), resultPath: '$.watch' });
  const bake = new sfn.Wait(scope, 'Bake', { comment: 'Let the canary take a minute of traffic', time: sfn.WaitTime.duration(WATCH_INTERVAL) });
  const watchStep = lambdaStep(scope, 'WatchCanary', steps.watchCanary, {
    comment: "The new version's own requests since the canary started, and the tier's alarms",
    payload: { ...withFunctionVersion, 'since.$': '$.canary.shiftedAt' },
    resultPath: '$.health',
  });
  const countCheck = new sfn.Pass(scope, 'CountCheck', { parameters: { 'checks.$': 'States.MathAdd($.watch.checks, 1)' }, resultPath: '$.watch' });
  const canaryAlarm = new sfn.Pass(scope, 'CanaryAlarm', { parameters: { Error: 'CanaryAlarm', 'Cause.$': '$.health.reason' }, resultPath: '$.error' });
  canaryAlarm.next(rollbackStep);
  const promoteStep = lambdaStep(scope, 'Promote', steps.shiftTraffic, {
    comment: 'All traffic to the new version',
    payload: { ...withFunctionVersion, weightPercent: 100 },
    resultPath: '$.promoted',
  });
  const finalizeStep = lambdaStep(scope, 'Finalize', steps.finalize, {
    comment: 'deploying -> live; the previous live version -> retired',
    payload: target,
    resultPath: '$.finalized',
  });
  // Another step routed the alias between this one's read and its update (a restore): read both again and retry.
  // When this deployment was released meanwhile, the retry ends NotDeploymentOwner or not deploying, and rolls back.
  for (const step of [canaryStep, promoteStep]) step.addRetry({ errors: ['AliasChangedError'], interval: Duration.seconds(1), maxAttempts: 3, backoffRate: 2 });
  for (const step of [prepareStep, holdoutStep, canaryStep, watchStep, promoteStep, finalizeStep]) {
    step.addCatch(rollbackStep, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
  }

  bake.next(watchStep).next(countCheck).next(
    new sfn.Choice(scope, 'CanaryHealthy?')
      .when(sfn.Condition.booleanEquals('$.health.healthy', false), canaryAlarm)
      .when(sfn.Condition.numberGreaterThanEquals('$.watch.checks', checks), promoteStep)
      .otherwise(bake),
  );
  promoteStep.next(finalizeStep).next(new sfn.Succeed(scope, 'Deployed'));
  return readTarget(scope, 'ReadApprovedVersion').next(beginStep).next(prepareStep).next(holdoutStep).next(canaryStep).next(startWatch).next(bake);
}

/** A live version was rolled back in the registry: the Rollback function points the alias at the restored version. */
function restorePath(scope: Construct, rollback: lambda.IFunction): sfn.IChainable {
  const restoreStep = lambdaStep(scope, 'Restore', rollback, {
    comment: 'A live version was rolled back in the registry: point the alias at the restored version',
    payload: target,
    resultPath: '$.restore',
  });
  restoreStep.addCatch(new sfn.Fail(scope, 'RestoreFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }), {
    errors: [sfn.Errors.ALL],
    resultPath: '$.error',
  });
  return readTarget(scope, 'ReadRolledBackVersion').next(restoreStep).next(new sfn.Succeed(scope, 'Restored'));
}
