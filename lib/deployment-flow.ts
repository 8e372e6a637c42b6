import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { REGISTRY_EVENT_DETAIL_TYPE, REGISTRY_EVENT_SOURCE, type VersionStatus } from '../lambdas/shared/registry-events';
import { byomArtifactKey, byomHoldoutKey, modelOutputPrefix, processedPrefix } from '../lambdas/shared/storage-layout';
import type { IArtifactStore } from './artifact-store';
import type { IModelRegistry } from './model-registry';
import { MlopsFunction } from './private/mlops-function';
import { acknowledge, acknowledgeWildcardResource } from './private/nag';
import { deadLetterQueue, ruleTargetOptions } from './private/queues';
import { acknowledgeStateMachineRole, lambdaStep, monitoredStateMachine } from './private/state-machines';

export interface DeploymentFlowProps {
  /** The registry model this flow deploys. */
  readonly modelName: string;
  readonly registry: IModelRegistry;
  /** Where the holdout split of each version lives (read by the holdout check). */
  readonly artifactStore: IArtifactStore;
  /** CloudWatch namespace of the step functions (`MLOps/<team>`). */
  readonly metricsNamespace: string;
  /** The inference function; each deployment publishes a version of it with MODEL_VERSION set. */
  readonly inferenceFunction: lambda.IFunction;
  /** The alias that serves traffic, shifted canary-then-all by the flow. */
  readonly inferenceAlias: lambda.IAlias;
  /**
   * Alarms watched after the canary bake; any in ALARM rolls the deployment back.
   * @default - none: the canary is promoted after the bake without an alarm check
   */
  readonly alarms?: cloudwatch.IAlarm[];
  /**
   * Share of traffic (1-99) the new version gets during the canary.
   * @default 10
   */
  readonly canaryPercent?: number;
  /**
   * How long the canary runs before the alarms are checked (0-2 hours).
   * @default Duration.minutes(5)
   */
  readonly canaryBake?: Duration;
  /**
   * Holdout parity: |metric(deployed) - metric(evaluation)| must be at most this (0-1).
   * @default 0.001
   */
  readonly holdoutTolerance?: number;
}

const STATUS_APPROVED: VersionStatus = 'approved';
const STATUS_ROLLED_BACK: VersionStatus = 'rolled_back';
const STATUS_LIVE: VersionStatus = 'live';

/**
 * Approve-to-live: an EventBridge rule on the team bus starts a deployment when the registry reports a version
 * "approved" (whether approved through the API, auto-approved by the pipeline, or synced from SageMaker — see
 * SageMakerMirror for why SageMaker approvals come through the registry). The state machine:
 * Begin -> Prepare (publish a function version serving the model) -> HoldoutCheck (that version reproduces the
 * evaluation on the holdout split) -> Canary (alias weight) -> Bake -> CheckAlarms -> Promote (100%) -> Finalize.
 * Any failure, or an alarm in ALARM, rolls back: the alias returns to the last live version and the registry records
 * rolled_back. A live version rolled back or rejected in the registry takes the Restore path.
 */
export class DeploymentFlow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** Rule starting a deployment on an "approved" registry event. */
  readonly approvedRule: events.Rule;
  /** Rule starting a restore when a live version is rolled back in the registry. */
  readonly restoreRule: events.Rule;
  /** The step functions, by state name. */
  readonly steps: Readonly<Record<'begin' | 'prepare' | 'holdoutCheck' | 'shiftTraffic' | 'finalize' | 'rollback', MlopsFunction>>;

  constructor(scope: Construct, id: string, props: DeploymentFlowProps) {
    super(scope, id);
    const canaryPercent = props.canaryPercent ?? 10;
    const canaryBake = props.canaryBake ?? Duration.minutes(5);
    const holdoutTolerance = props.holdoutTolerance ?? 0.001;
    this.validate(canaryPercent, canaryBake, holdoutTolerance);

    const { registry, inferenceFunction, inferenceAlias, modelName } = props;
    const environment = {
      REGISTRY_TABLE_NAME: registry.table.tableName,
      ARTIFACT_BUCKET: props.artifactStore.bucket.bucketName,
      MODEL_NAME: modelName,
      INFERENCE_FUNCTION_NAME: inferenceFunction.functionName,
      INFERENCE_ALIAS_NAME: inferenceAlias.aliasName,
    };
    const step = (id: string, entry: string, description: string, extra: Record<string, string> = {}, usesOnnxRuntime = false) => {
      const fn = new MlopsFunction(this, `${id}Function`, {
        entry: `lambdas/deployment/${entry}.handler.ts`,
        usesOnnxRuntime,
        description: `${description} (${modelName})`,
        serviceName: `deployment-${entry}`,
        metricsNamespace: props.metricsNamespace,
        timeout: Duration.minutes(1),
        environment: { ...environment, ...extra },
      });
      registry.grantReadWrite(fn);
      acknowledge(
        fn,
        'Serverless-LambdaDLQ',
        'Invoked synchronously by the deployment state machine, which retries transient errors and catches the rest into Rollback; a DLQ applies only to asynchronous invocations.',
      );
      return fn;
    };
    const aliasArn = `${inferenceFunction.functionArn}:${inferenceAlias.aliasName}`;
    const lambdaActions = (fn: MlopsFunction, actions: string[], resources: string[]) =>
      fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources }));

    const begin = step('Begin', 'begin', 'Marks an approved version deploying');
    const prepare = step('Prepare', 'prepare-version', 'Publishes an inference function version serving the model version');
    lambdaActions(
      prepare,
      ['lambda:GetFunctionConfiguration', 'lambda:UpdateFunctionConfiguration', 'lambda:PublishVersion'],
      [inferenceFunction.functionArn],
    );
    lambdaActions(prepare, ['lambda:GetAlias'], [inferenceFunction.functionArn, aliasArn]);
    // Runs the version's model itself (onnxruntime), for the evaluation's probabilities to compare the deployed ones with.
    const holdoutCheck = step('HoldoutCheck', 'holdout-check', 'Checks the new function version reproduces the evaluation on holdout', {
      HOLDOUT_TOLERANCE: String(holdoutTolerance),
    }, true);
    // The holdout set and model archive of a trained version, or of one registered with `mlops models register --onnx`.
    props.artifactStore.grantRead(holdoutCheck, processedPrefix('*'));
    props.artifactStore.grantRead(holdoutCheck, modelOutputPrefix('*'));
    props.artifactStore.grantRead(holdoutCheck, byomHoldoutKey(modelName, '*'));
    props.artifactStore.grantRead(holdoutCheck, byomArtifactKey(modelName, '*'));
    const versions = `${inferenceFunction.functionArn}:*`;
    lambdaActions(holdoutCheck, ['lambda:InvokeFunction'], [versions]);
    acknowledgeWildcardResource(
      holdoutCheck,
      versions,
      'Invokes the version the deployment just published, whose number is only known at run time; only versions of the inference function.',
    );
    const shiftTraffic = step('ShiftTraffic', 'shift-traffic', 'Shifts the live alias between inference versions');
    const finalize = step('Finalize', 'finalize', 'Marks a fully shifted version live and retires the previous one');
    const rollback = step('Rollback', 'rollback', 'Points the live alias back at the last live version');
    for (const fn of [shiftTraffic, finalize, rollback]) {
      lambdaActions(fn, ['lambda:GetAlias'], [inferenceFunction.functionArn, aliasArn]);
    }
    for (const fn of [shiftTraffic, rollback]) {
      lambdaActions(fn, ['lambda:UpdateAlias'], [inferenceFunction.functionArn, aliasArn]);
    }
    this.steps = { begin, prepare, holdoutCheck, shiftTraffic, finalize, rollback };

    // --- the state machine
    const target = {
      'model.$': '$.target.model',
      'version.$': '$.target.version',
      'execution.$': '$.target.execution',
    };
    const withFunctionVersion = { ...target, 'functionVersion.$': '$.prepared.functionVersion' };
    const readTarget = (id: string) =>
      new sfn.Pass(this, id, {
        comment: 'The registry event names the model version; the execution name becomes the actor',
        parameters: { 'model.$': '$.detail.model', 'version.$': '$.detail.version', 'execution.$': '$$.Execution.Name' },
        resultPath: '$.target',
      });

    const rollbackStep = lambdaStep(this, 'Rollback', rollback, {
      comment: 'Alias back to the last live version; deploying -> rolled_back',
      payload: { ...target, 'error.$': '$.error' },
      resultPath: '$.rollback',
    });
    const deploymentFailed = new sfn.Fail(this, 'DeploymentFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    rollbackStep.next(deploymentFailed);
    const rollbackFailed = new sfn.Fail(this, 'RollbackFailed', {
      error: 'RollbackFailed',
      cause: 'The rollback step itself failed; the alias may still route to the new version. See the execution history.',
    });
    rollbackStep.addCatch(rollbackFailed, { errors: [sfn.Errors.ALL], resultPath: '$.rollbackError' });

    const beginStep = lambdaStep(this, 'Begin', begin, { comment: 'approved -> deploying', payload: target, resultPath: '$.begin' });
    const prepareStep = lambdaStep(this, 'Prepare', prepare, {
      comment: 'Set MODEL_VERSION on the function and publish a version',
      payload: target,
      resultPath: '$.prepared',
    });
    const holdoutStep = lambdaStep(this, 'HoldoutCheck', holdoutCheck, {
      comment: 'The published version must reproduce the evaluation metrics on the holdout split',
      payload: withFunctionVersion,
      resultPath: '$.holdout',
    });
    const canaryStep = lambdaStep(this, 'Canary', shiftTraffic, {
      comment: `${canaryPercent}% of the live alias to the new version`,
      payload: { ...withFunctionVersion, weightPercent: canaryPercent },
      resultPath: '$.canary',
    });
    const bake = new sfn.Wait(this, 'Bake', {
      comment: 'Let the canary take traffic before the alarms are read',
      time: sfn.WaitTime.duration(canaryBake),
    });
    const promoteStep = lambdaStep(this, 'Promote', shiftTraffic, {
      comment: 'All traffic to the new version',
      payload: { ...withFunctionVersion, weightPercent: 100 },
      resultPath: '$.promoted',
    });
    const finalizeStep = lambdaStep(this, 'Finalize', finalize, {
      comment: 'deploying -> live; the previous live version -> retired',
      payload: target,
      resultPath: '$.finalized',
    });
    const deployed = new sfn.Succeed(this, 'Deployed');

    const steps: sfn.TaskStateBase[] = [beginStep, prepareStep, holdoutStep, canaryStep, promoteStep, finalizeStep];
    let afterBake: sfn.IChainable = promoteStep;
    const alarms = props.alarms ?? [];
    if (alarms.length) {
      const checkAlarms = new tasks.CallAwsService(this, 'CheckAlarms', {
        comment: 'Which of the inference alarms are in ALARM now',
        service: 'cloudwatch',
        action: 'describeAlarms',
        parameters: { AlarmNames: alarms.map((a) => a.alarmName), StateValue: 'ALARM' },
        iamResources: alarms.map((a) => a.alarmArn),
        iamAction: 'cloudwatch:DescribeAlarms',
        resultSelector: { 'inAlarm.$': '$.MetricAlarms[*].AlarmName' },
        resultPath: '$.alarms',
      });
      checkAlarms.addRetry({ errors: ['CloudWatch.CloudWatchException', 'CloudWatch.ThrottlingException'], maxAttempts: 3 });
      steps.push(checkAlarms);
      const canaryAlarm = new sfn.Pass(this, 'CanaryAlarm', {
        parameters: { Error: 'CanaryAlarm', 'Cause.$': "States.Format('Alarms in ALARM during the canary: {}', States.JsonToString($.alarms.inAlarm))" },
        resultPath: '$.error',
      });
      canaryAlarm.next(rollbackStep);
      afterBake = checkAlarms.next(
        new sfn.Choice(this, 'AlarmsQuiet?')
          .when(sfn.Condition.isPresent('$.alarms.inAlarm[0]'), canaryAlarm)
          .otherwise(promoteStep),
      );
    }
    for (const s of steps) s.addCatch(rollbackStep, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    const deploy = readTarget('ReadApprovedVersion')
      .next(beginStep)
      .next(prepareStep)
      .next(holdoutStep)
      .next(canaryStep)
      .next(bake)
      .next(afterBake);
    promoteStep.next(finalizeStep).next(deployed);

    const restoreStep = lambdaStep(this, 'Restore', rollback, {
      comment: 'A live version was rolled back in the registry: point the alias at the restored version',
      payload: target,
      resultPath: '$.restore',
    });
    restoreStep.addCatch(new sfn.Fail(this, 'RestoreFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }), {
      errors: [sfn.Errors.ALL],
      resultPath: '$.error',
    });
    const restore = readTarget('ReadRolledBackVersion').next(restoreStep).next(new sfn.Succeed(this, 'Restored'));

    const route = new sfn.Choice(this, 'Route', { comment: 'approved -> deploy; rolled_back of a live version -> restore' })
      .when(sfn.Condition.stringEquals('$.detail.status', STATUS_APPROVED), deploy)
      .when(
        sfn.Condition.and(
          sfn.Condition.stringEquals('$.detail.status', STATUS_ROLLED_BACK),
          sfn.Condition.isString('$.detail.previousStatus'),
          sfn.Condition.stringEquals('$.detail.previousStatus', STATUS_LIVE),
        ),
        restore,
      )
      .otherwise(new sfn.Fail(this, 'UnexpectedEvent', { error: 'UnexpectedEvent', cause: 'Input is not an approved or restore registry event' }));

    this.stateMachine = monitoredStateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(route),
      comment: `Deployment of ${modelName} versions to the live alias`,
      timeout: Duration.hours(3).plus(canaryBake),
    });
    acknowledgeStateMachineRole(
      this.stateMachine,
      Object.values(this.steps).map((fn) => ({
        resource: `${fn.functionArn}:*`,
        reason: 'Invoke of the versions and aliases of this one deployment step function (added by the LambdaInvoke task).',
      })),
    );

    // --- the rules
    const dlq = deadLetterQueue(this, 'RuleDlq');
    const ruleTarget = new targets.SfnStateMachine(this.stateMachine, ruleTargetOptions(dlq));
    const registryEvent = (detail: Record<string, unknown>): events.EventPattern => ({
      source: [REGISTRY_EVENT_SOURCE],
      detailType: [REGISTRY_EVENT_DETAIL_TYPE],
      detail: { model: [modelName], ...detail },
    });
    this.approvedRule = new events.Rule(this, 'ApprovedRule', {
      description: `Deploy approved versions of ${modelName}`,
      eventBus: registry.eventBus,
      eventPattern: registryEvent({ status: [STATUS_APPROVED] }),
      targets: [ruleTarget],
    });
    this.restoreRule = new events.Rule(this, 'RestoreRule', {
      description: `Restore the previous version when a live version of ${modelName} is rolled back`,
      eventBus: registry.eventBus,
      eventPattern: registryEvent({ status: [STATUS_ROLLED_BACK], previousStatus: [STATUS_LIVE] }),
      targets: [ruleTarget],
    });
  }

  /** Deployments that ended in a rollback or a failed rollback. */
  metricFailedDeployments(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricFailed({ period: Duration.hours(1), ...props });
  }

  /** Deployments that reached live (and restores that completed). */
  metricSucceededDeployments(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricSucceeded({ period: Duration.hours(1), ...props });
  }

  /** Start a deployment by hand (e.g. re-deploying an approved version from the CLI). */
  grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }

  private validate(canaryPercent: number, canaryBake: Duration, holdoutTolerance: number): void {
    const problems: string[] = [];
    if (!Token.isUnresolved(canaryPercent) && !(Number.isInteger(canaryPercent) && canaryPercent >= 1 && canaryPercent <= 99)) {
      problems.push(`canaryPercent must be an integer between 1 and 99, got: ${canaryPercent}`);
    }
    if (canaryBake.toSeconds() > Duration.hours(2).toSeconds()) {
      problems.push(`canaryBake must be at most 2 hours, got: ${canaryBake.toHumanString()}`);
    }
    if (!(holdoutTolerance >= 0 && holdoutTolerance <= 1)) {
      problems.push(`holdoutTolerance must be between 0 and 1, got: ${holdoutTolerance}`);
    }
    if (problems.length) throw new Error(`${this.node.path}: ${problems.join('; ')}`);
  }
}
