import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { REGISTRY_EVENT_DETAIL_TYPE, REGISTRY_EVENT_SOURCE } from '../contracts/registry-events';
import { byomArtifactKey, byomHoldoutKey, modelOutputPrefix, processedPrefix } from '../contracts/storage-layout';
import type { IArtifactStore } from './artifact-store';
import type { IModelRegistry } from './model-registry';
import { MlopsFunction } from './private/mlops-function';
import { acknowledge, acknowledgeWildcardResource } from './private/nag';
import { deadLetterQueue, ruleTargetOptions } from './private/queues';
import { acknowledgeStateMachineRole, monitoredStateMachine } from './private/state-machines';
import {
  deploymentDefinition,
  STATUS_APPROVED,
  STATUS_LIVE,
  STATUS_ROLLED_BACK,
  WATCH_INTERVAL,
} from './private/deployment-definition';
import { HOLDOUT_CHECK_TIMEOUT, PREPARE_TIMEOUT } from './private/deployment-timeouts';
import { rangeProblem, throwOnPropProblems } from './private/prop-problems';

/** Props of `DeploymentFlow`. */
export interface DeploymentFlowProps {
  /** The registry model this flow deploys. */
  readonly modelName: string;
  /** The registry whose "approved" and "rolled_back" events start the flow, and whose version status it moves. */
  readonly registry: IModelRegistry;
  /** Where the holdout split of each version lives (read by the holdout check). */
  readonly artifactStore: IArtifactStore;
  /** CloudWatch namespace of the step functions (`MLOps/<team>`). */
  readonly metricsNamespace: string;
  /** The inference function; each deployment publishes a version of it with MODEL_VERSION set. */
  readonly inferenceFunction: lambda.IFunction;
  /** The alias that serves traffic, shifted canary-then-all by the flow (which alone decides what it serves). */
  readonly inferenceAlias: lambda.IAlias;
  /**
   * Alarms watched during the whole canary bake; any in ALARM rolls the deployment back. The bake must be at least as
   * long as the longest alarm window (period x evaluation periods), or an alarm could not fire before promotion.
   * @default - none: the canary is judged on its own error rate only
   */
  readonly alarms?: cloudwatch.IAlarm[];
  /**
   * The new version's own error rate (percent of the requests the canary served, from Lambda's per-version metrics)
   * above which the canary is rolled back (0-100).
   * @default 1
   */
  readonly canaryErrorRatePercent?: number;
  /**
   * Share of traffic (1-99) the new version gets during the canary.
   * @default 10
   */
  readonly canaryPercent?: number;
  /**
   * How long the canary runs, watched once a minute (1 minute to 2 hours, and at least the longest alarm window).
   * @default Duration.minutes(5)
   */
  readonly canaryBake?: Duration;
  /**
   * Holdout parity: |metric(deployed) - metric(evaluation)| must be at most this (0-1).
   * @default 0.001
   */
  readonly holdoutTolerance?: number;
}

/** The steps of one deployment besides the bake: publishing, the holdout check, shifts, with their retries. */
const DEPLOYMENT_WORK = Duration.hours(1);
/** The longest canary bake: a deployment holds the queue for its whole bake. */
const MAX_CANARY_BAKE = Duration.hours(2);

/** The functions of the deployment steps, by step name (`release` runs outside the state machine). */
export type DeploymentStepName = 'begin' | 'prepare' | 'holdoutCheck' | 'shiftTraffic' | 'watchCanary' | 'finalize' | 'rollback' | 'release';

/** The props after defaults. */
interface DeploymentSettings {
  readonly canaryPercent: number;
  readonly canaryBake: Duration;
  readonly holdoutTolerance: number;
  readonly canaryErrorRatePercent: number;
}

/**
 * Approve-to-live: an EventBridge rule on the team bus starts a deployment when the registry reports a version
 * "approved" (whether approved through the API, auto-approved by the pipeline, or synced from SageMaker — see
 * SageMakerMirror for why SageMaker approvals come through the registry). The state machine:
 * Begin (approved -> deploying, owned by this execution; waits while another version deploys) -> Prepare (publish a
 * function version serving the model) -> HoldoutCheck (that version reproduces the evaluation on the holdout split)
 * -> Canary (alias weight) -> WatchCanary once a minute for the whole bake (the new version's own error rate and the
 * tier's alarms) -> Promote (100%) -> Finalize. A failure after Begin, or an unhealthy canary, rolls back: the alias
 * returns to the last live version and the registry records rolled_back. A Begin that cannot start (a duplicate
 * event, a version no longer approved) ends the execution without touching anything. An execution that ends any
 * other way (timed out, aborted, failed inside its rollback) is released by the Release function on its status-change
 * event. A live version rolled back or rejected in the registry takes the Restore path.
 */
export class DeploymentFlow extends Construct {
  /** The flow's state machine; one execution deploys (or restores) one version. */
  readonly stateMachine: sfn.StateMachine;
  /** Rule starting a deployment on an "approved" registry event. */
  readonly approvedRule: events.Rule;
  /** Rule starting a restore when a live version is rolled back in the registry. */
  readonly restoreRule: events.Rule;
  /** Rule releasing the deployment of an execution that failed, timed out or was aborted. */
  readonly releaseRule: events.Rule;
  /** The step functions, by state name (`release` runs outside the state machine, on its status-change events). */
  readonly steps: Readonly<Record<DeploymentStepName, lambda.Function>>;
  /** The registry model this flow deploys. */
  readonly modelName: string;

  private readonly environment: Record<string, string>;

  constructor(scope: Construct, id: string, private readonly props: DeploymentFlowProps) {
    super(scope, id);
    this.modelName = props.modelName;
    const settings = withDefaults(props);
    this.validateProps(settings);
    this.environment = this.stepEnvironment();
    this.steps = this.createStepFunctions(settings);
    this.stateMachine = this.createStateMachine(settings);
    const dlq = deadLetterQueue(this, 'RuleDlq');
    this.approvedRule = this.createApprovedRule(dlq);
    this.restoreRule = this.createRestoreRule(dlq);
    this.releaseRule = this.createReleaseRule(dlq);
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

  /**
   * Abort the deployment in progress (`mlops deployments abort`, the approval API's abort route): stop its execution
   * and invoke the Release function, which rolls it back.
   */
  grantAbort(grantee: iam.IGrantable): iam.Grant {
    const executions = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${this.stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    acknowledgeWildcardResource(grantee, executions, 'Stops the execution that owns the deployment in progress, whose name is only known at run time; only executions of this deployment flow.');
    acknowledgeWildcardResource(
      grantee,
      `${this.steps.release.functionArn}:*`,
      "Lambda's invoke grant covers the release function's versions and aliases; only that one function.",
    );
    return iam.Grant.addToPrincipal({ grantee, actions: ['states:StopExecution', 'states:DescribeExecution'], resourceArns: [executions] }).combine(
      this.steps.release.grantInvoke(grantee),
    );
  }

  /** What a deployment-control client (the approval API, the CLI) needs to know: see DeploymentControl. */
  get controlEnvironment(): Record<string, string> {
    return {
      DEPLOYMENT_MODEL_NAME: this.modelName,
      DEPLOYMENT_STATE_MACHINE_ARN: this.stateMachine.stateMachineArn,
      DEPLOYMENT_RELEASE_FUNCTION_NAME: this.steps.release.functionName,
    };
  }

  /** What every step function is told: the registry, the artifact store, the model and the function it deploys. */
  private stepEnvironment(): Record<string, string> {
    const { props } = this;
    return {
      REGISTRY_TABLE_NAME: props.registry.table.tableName,
      ARTIFACT_BUCKET: props.artifactStore.bucket.bucketName,
      MODEL_NAME: props.modelName,
      INFERENCE_FUNCTION_NAME: props.inferenceFunction.functionName,
      INFERENCE_ALIAS_NAME: props.inferenceAlias.aliasName,
    };
  }

  /** One function per step, each allowed exactly the Lambda and registry calls of its step. */
  private createStepFunctions({ holdoutTolerance, canaryErrorRatePercent }: DeploymentSettings): DeploymentFlow['steps'] {
    const { props } = this;
    const { inferenceFunction, inferenceAlias } = props;
    const aliasArn = `${inferenceFunction.functionArn}:${inferenceAlias.aliasName}`;
    const allow = (fn: MlopsFunction, actions: string[], resources: string[]) => fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources }));

    const begin = this.stepFunction('Begin', 'begin', 'Marks an approved version deploying, owned by its execution', { writesRegistry: true });
    const prepare = this.stepFunction('Prepare', 'prepare-version', 'Publishes an inference function version serving the model version', {
      timeout: PREPARE_TIMEOUT,
      writesRegistry: true,
    });
    allow(prepare, ['lambda:GetFunctionConfiguration', 'lambda:UpdateFunctionConfiguration', 'lambda:PublishVersion'], [inferenceFunction.functionArn]);
    allow(prepare, ['lambda:GetAlias'], [inferenceFunction.functionArn, aliasArn]);

    // Runs the version's model itself (onnxruntime), for the evaluation's probabilities to compare the deployed ones with.
    const holdoutCheck = this.stepFunction('HoldoutCheck', 'holdout-check', 'Checks the new function version reproduces the evaluation on holdout', {
      environment: { HOLDOUT_TOLERANCE: String(holdoutTolerance) },
      usesOnnxRuntime: true,
      timeout: HOLDOUT_CHECK_TIMEOUT,
    });
    // The holdout set and model archive of a trained version, or of one registered with `mlops models register --onnx`.
    props.artifactStore.grantRead(holdoutCheck, processedPrefix('*'));
    props.artifactStore.grantRead(holdoutCheck, modelOutputPrefix('*'));
    props.artifactStore.grantRead(holdoutCheck, byomHoldoutKey(props.modelName, '*'));
    props.artifactStore.grantRead(holdoutCheck, byomArtifactKey(props.modelName, '*'));
    const versions = `${inferenceFunction.functionArn}:*`;
    allow(holdoutCheck, ['lambda:InvokeFunction'], [versions]);
    acknowledgeWildcardResource(
      holdoutCheck,
      versions,
      'Invokes the version the deployment just published, whose number is only known at run time; only versions of the inference function.',
    );

    const alarms = props.alarms ?? [];
    const watchCanary = this.stepFunction('WatchCanary', 'watch-canary', "Reads the canary version's own error rate and the tier's alarms", {
      environment: { CANARY_ERROR_RATE_PERCENT: String(canaryErrorRatePercent), CANARY_ALARM_NAMES: Stack.of(this).toJsonString(alarms.map((a) => a.alarmName)) },
    });
    // GetMetricData has no resource-level permissions (the IAM reference lists no resource type for it).
    allow(watchCanary, ['cloudwatch:GetMetricData'], ['*']);
    acknowledgeWildcardResource(watchCanary, '*', 'cloudwatch:GetMetricData supports no resource-level permissions; it only reads metrics.');
    if (alarms.length) allow(watchCanary, ['cloudwatch:DescribeAlarms'], alarms.map((a) => a.alarmArn));

    const shiftTraffic = this.stepFunction('ShiftTraffic', 'shift-traffic', 'Shifts the live alias between inference versions');
    const finalize = this.stepFunction('Finalize', 'finalize', 'Marks a fully shifted version live and retires the previous one', { writesRegistry: true });
    const rollback = this.stepFunction('Rollback', 'rollback', 'Points the live alias back at the last live version', { writesRegistry: true });
    // EventBridge invokes it asynchronously: an event it could not handle after Lambda's retries is kept.
    const release = this.stepFunction('Release', 'release', 'Rolls back the deployment of an execution that ended without finishing', {
      deadLetterQueue: deadLetterQueue(this, 'ReleaseDlq'),
      writesRegistry: true,
    });
    for (const fn of [shiftTraffic, finalize, rollback, release]) allow(fn, ['lambda:GetAlias'], [inferenceFunction.functionArn, aliasArn]);
    for (const fn of [shiftTraffic, rollback, release]) allow(fn, ['lambda:UpdateAlias'], [inferenceFunction.functionArn, aliasArn]);
    return { begin, prepare, holdoutCheck, shiftTraffic, watchCanary, finalize, rollback, release };
  }

  private stepFunction(
    id: string,
    entry: string,
    description: string,
    options: { environment?: Record<string, string>; usesOnnxRuntime?: boolean; timeout?: Duration; deadLetterQueue?: sqs.IQueue; writesRegistry?: boolean } = {},
  ): MlopsFunction {
    const fn = new MlopsFunction(this, `${id}Function`, {
      entry: `lambdas/deployment/${entry}.handler.ts`,
      usesOnnxRuntime: options.usesOnnxRuntime ?? false,
      description: `${description} (${this.props.modelName})`,
      serviceName: `deployment-${entry}`,
      metricsNamespace: this.props.metricsNamespace,
      timeout: options.timeout ?? Duration.minutes(1),
      environment: { ...this.environment, ...options.environment },
      deadLetterQueue: options.deadLetterQueue,
    });
    // Only the steps that move the version (Begin, Prepare, Finalize, Rollback, Release) write the registry.
    if (options.writesRegistry) this.props.registry.grantRegistryWrite(fn);
    else this.props.registry.grantRead(fn);
    if (!options.deadLetterQueue) {
      acknowledge(
        fn,
        'Serverless-LambdaDLQ',
        'Invoked synchronously by the deployment state machine, which retries transient errors and catches the rest into Rollback; a DLQ applies only to asynchronous invocations.',
      );
    }
    return fn;
  }

  /**
   * The state machine (lib/private/deployment-definition.ts), with its time limit: waiting for the deployment ahead
   * (at most its own limit) and then deploying.
   */
  private createStateMachine({ canaryPercent, canaryBake }: DeploymentSettings): sfn.StateMachine {
    const maxDeployment = DEPLOYMENT_WORK.plus(canaryBake);
    const stateMachine = monitoredStateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(deploymentDefinition(this, this.steps, { canaryPercent, canaryBake, maxDeployment })),
      comment: `Deployment of ${this.props.modelName} versions to the live alias`,
      timeout: Duration.seconds(2 * maxDeployment.toSeconds()),
    });
    acknowledgeStateMachineRole(
      stateMachine,
      Object.values(this.steps).map((fn) => ({
        resource: `${fn.functionArn}:*`,
        reason: 'Invoke of the versions and aliases of this one deployment step function (added by the LambdaInvoke task).',
      })),
    );
    return stateMachine;
  }

  /** A deployment on each "approved" event of the model. */
  private createApprovedRule(dlq: sqs.IQueue): events.Rule {
    return this.registryRule('ApprovedRule', `Deploy approved versions of ${this.modelName}`, { status: [STATUS_APPROVED] }, dlq);
  }

  /** A restore when a live version of the model is rolled back (or rejected) in the registry. */
  private createRestoreRule(dlq: sqs.IQueue): events.Rule {
    return this.registryRule(
      'RestoreRule',
      `Restore the previous version when a live version of ${this.modelName} is rolled back`,
      { status: [STATUS_ROLLED_BACK], previousStatus: [STATUS_LIVE] },
      dlq,
    );
  }

  /** The Release function on the status-change event of an execution that ended without finishing its deployment. */
  private createReleaseRule(dlq: sqs.IQueue): events.Rule {
    return new events.Rule(this, 'ReleaseRule', {
      description: `Release the deployment of a ${this.props.modelName} deployment execution that failed, timed out or was aborted`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [this.stateMachine.stateMachineArn], status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
      },
      targets: [new targets.LambdaFunction(this.steps.release, ruleTargetOptions(dlq))],
    });
  }

  private registryRule(id: string, description: string, detail: Record<string, unknown>, dlq: sqs.IQueue): events.Rule {
    return new events.Rule(this, id, {
      description,
      eventBus: this.props.registry.eventBus,
      eventPattern: {
        source: [REGISTRY_EVENT_SOURCE],
        detailType: [REGISTRY_EVENT_DETAIL_TYPE],
        detail: { model: [this.props.modelName], ...detail },
      },
      targets: [new targets.SfnStateMachine(this.stateMachine, ruleTargetOptions(dlq))],
    });
  }

  /** Every problem of the props at once, each naming the prop, the rule and the value. */
  private validateProps({ canaryPercent, canaryBake, holdoutTolerance, canaryErrorRatePercent }: DeploymentSettings): void {
    const problems = [
      ...rangeProblem('canaryPercent', canaryPercent, { min: 1, max: 99, integer: true }),
      ...rangeProblem('holdoutTolerance', holdoutTolerance, { min: 0, max: 1 }),
      ...rangeProblem('canaryErrorRatePercent', canaryErrorRatePercent, { min: 0, max: 100 }),
    ];
    if (canaryBake.toSeconds() > MAX_CANARY_BAKE.toSeconds()) {
      problems.push(`canaryBake must be at most ${MAX_CANARY_BAKE.toHumanString()}, got: ${canaryBake.toHumanString()}`);
    }
    const longestWindow = Math.max(WATCH_INTERVAL.toSeconds(), ...(this.props.alarms ?? []).map(alarmWindowSeconds));
    if (canaryBake.toSeconds() < longestWindow) {
      problems.push(
        `canaryBake must be at least ${Duration.seconds(longestWindow).toHumanString()} (the longest alarm window, period x evaluation periods, and one canary look), got: ${canaryBake.toHumanString()}`,
      );
    }
    throwOnPropProblems(this, problems);
  }
}

/** The props with their documented defaults. */
function withDefaults(props: DeploymentFlowProps): DeploymentSettings {
  return {
    canaryPercent: props.canaryPercent ?? 10,
    canaryBake: props.canaryBake ?? Duration.minutes(5),
    holdoutTolerance: props.holdoutTolerance ?? 0.001,
    canaryErrorRatePercent: props.canaryErrorRatePercent ?? 1,
  };
}

/** How long an alarm needs to see bad data before it can fire: period x evaluation periods (0 when not known at synth). */
function alarmWindowSeconds(alarm: cloudwatch.IAlarm): number {
  if (!(alarm instanceof cloudwatch.Alarm)) return 0;
  const config = alarm.metric.toMetricConfig();
  const period = config.metricStat?.period.toSeconds() ?? config.mathExpression?.period ?? 0;
  const evaluationPeriods = (alarm.node.defaultChild as cloudwatch.CfnAlarm).evaluationPeriods;
  return evaluationPeriods === undefined || Token.isUnresolved(evaluationPeriods) ? 0 : period * evaluationPeriods;
}
