import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as batch from 'aws-cdk-lib/aws-batch';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { checkpointPrefix, modelOutputPrefix, processedPrefix } from '../contracts/storage-layout';
import type { TeamConfig } from '../contracts/team-config';
import { TRAINING_PIPELINE_SPEC } from '../contracts/training-pipeline-spec';
import type { IArtifactStore } from './artifact-store';
import type { IModelRegistry } from './model-registry';
import { MlopsFunction, type MlopsFunctionProps } from './private/mlops-function';
import { acknowledge, acknowledgeWildcardResource } from './private/nag';
import { PipelineImage } from './private/pipeline-image';
import { processingContainerProblems, trainingContainerProblems } from './private/pipeline-containers';
import { PipelineVpc } from './private/pipeline-vpc';
import { createProcessingJob, fargateSizeProblems, processingStepsTimeout } from './private/processing-job';
import { throwOnPropProblems } from './private/prop-problems';
import { deadLetterQueue, ruleTargetOptions } from './private/queues';
import { acknowledgeStateMachineRole, monitoredStateMachine } from './private/state-machines';
import { hyperparameterProblems, trainingDefinition } from './private/training-definition';

export { TRAINING_TRIGGERS } from './private/training-definition';

/** Props of `TrainingPipeline`. */
export interface TrainingPipelineProps {
  /**
   * The validated team config (contracts/team-config.ts). Unlike the other constructs' flat props, the pipeline takes
   * it whole because its jobs are given it whole: the processing container reads it as TEAM_CONFIG (the container
   * contract, docs/container-contract.md), the training job's hyperparameters and the Evaluate step's gate derive
   * from its model, training and evaluation sections.
   */
  readonly config: TeamConfig;
  /** Holds the dataset, the run's processed splits and baseline, checkpoints and the trained model. */
  readonly artifactStore: IArtifactStore;
  /** Where Register writes the new model version and RecordFailure the failed run. */
  readonly registry: IModelRegistry;
  /** CloudWatch namespace of the pipeline's functions (`MLOps/<team>`). */
  readonly metricsNamespace: string;
  /**
   * Network of the processing job, and of the training job when `trainingInVpc` is set.
   * @default - a VPC with isolated subnets and endpoints for S3, ECR and CloudWatch Logs (no internet route)
   */
  readonly vpc?: ec2.IVpc;
  /** @default - the isolated (or private) subnets of `vpc` */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default - a security group per job with outbound traffic only */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * Run the SageMaker training job in `vpc` too. Network isolation is on either way; a VPC adds the team's own
   * network controls (flow logs, endpoints) around the instance.
   * @default false
   */
  readonly trainingInVpc?: boolean;
  /**
   * Version of the training code recorded with every model version.
   * @default - the content hash of the training image built from a Dockerfile, or the URI of the team's image
   */
  readonly codeVersion?: string;
}

/** The network of the processing job (and of the training job with `trainingInVpc`). */
interface JobNetwork {
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
}

/**
 * The run's time besides its two jobs' limits: the Lambda steps (Evaluate at most 5 minutes, Register and
 * RecordFailure 30 seconds, with their retries) and the time the jobs wait for capacity, which no limit bounds.
 */
const RUN_ALLOWANCE = Duration.hours(1);

/** EVALUATION_CONFIG of the Evaluate step: the team config's `evaluation` section, the task and, for multiclass, the classes. */
function evaluationConfig(config: TeamConfig): Record<string, unknown> {
  return { task: config.model.task, ...config.evaluation, ...(config.model.classes ? { classes: config.model.classes } : {}) };
}

/**
 * The training pipeline, a Step Functions state machine:
 * Process (AWS Batch on Fargate, `.sync`) -> Train (SageMaker `createTrainingJob.sync`, network isolated, encrypted,
 * own least-privilege role) -> Evaluate (Lambda) -> gate -> Register (Lambda). Any failure is recorded in the
 * registry (RecordFailure) before the execution fails.
 *
 * Process and Train run the built-in images unless the team config gives its own (`training.processing.container`,
 * `training.container`: a Dockerfile directory or an image URI, on the contract of docs/container-contract.md). A
 * training container may run on several instances and on managed spot capacity with checkpoints under the run's
 * prefix. Container problems fail synth, naming the config field.
 *
 * Execution names are the idempotency key of a run: the S3 prefix `runs/<execution>/`, the SageMaker training job
 * name and the registration's client token all derive from it. StartExecution with the name of a running execution
 * and the same input returns that execution instead of starting another, so a starter that retries (the drift
 * retrain trigger names runs `drift-<alarm time>`, the CLI `manual-<time>`) cannot start a run twice. Because the
 * training job is named after the execution, names must match SageMaker's `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`;
 * the scheduled rule leaves naming to EventBridge, whose generated names (UUIDs) do.
 */
export class TrainingPipeline extends Construct {
  /** The pipeline's state machine; one execution is one training run. */
  readonly stateMachine: sfn.StateMachine;
  /** The role SageMaker assumes for the training job. */
  readonly trainingRole: iam.Role;
  /** The Batch job queue and definition of the processing step. */
  readonly processingJobQueue: batch.JobQueue;
  /** The processing job's definition (container, role, size, timeout). */
  readonly processingJobDefinition: batch.EcsJobDefinition;
  /** The Evaluate step's function: scores the model on validation and holdout and applies the gate. */
  readonly evaluateFunction: lambda.Function;
  /** The Register step's function: records the evaluated model as a new version. */
  readonly registerFunction: lambda.Function;
  /** The RecordFailure step's function: records a failed run in the registry. */
  readonly recordFailureFunction: lambda.Function;

  private readonly props: TrainingPipelineProps;

  constructor(scope: Construct, id: string, props: TrainingPipelineProps) {
    super(scope, id);
    this.props = props;
    this.validateProps();
    const network = this.network();
    const processing = createProcessingJob(this, { ...network, config: props.config, artifactStore: props.artifactStore, securityGroups: props.securityGroups });
    this.processingJobDefinition = processing.definition;
    this.processingJobQueue = processing.queue;
    this.trainingRole = this.createTrainingRole();
    const trainingImage = this.trainingImage();
    this.evaluateFunction = this.createEvaluateFunction();
    this.registerFunction = this.createRegisterFunction();
    this.recordFailureFunction = this.createRecordFailureFunction();
    this.stateMachine = this.createStateMachine(network, trainingImage);
    if (props.config.training.schedule) this.scheduleRuns(props.config.training.schedule);
  }

  /**
   * The state machine's limit: longer than the longest its steps may take, so a run is never cut short while its
   * jobs are within their own limits. A spot training job waits up to maxWait (which includes its runtime), an
   * on-demand one runs up to maxRuntime; a sharded processing step runs its array job's waves, then the merge.
   */
  private runTimeout(): Duration {
    const { maxRuntimeMinutes, spot } = this.props.config.training;
    const training = Duration.minutes(spot ? spot.maxWaitMinutes : maxRuntimeMinutes);
    return processingStepsTimeout(this.props.config.training.processing.shards).plus(training).plus(RUN_ALLOWANCE);
  }

  /** Starts executions (the drift retrain trigger, the CLI). */
  grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }

  /** Executions that failed, including runs stopped by the gate. */
  metricFailedRuns(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricFailed({ period: Duration.hours(1), ...props });
  }

  /** Executions that registered a model version. */
  metricSucceededRuns(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricSucceeded({ period: Duration.hours(1), ...props });
  }

  private get modelName(): string {
    return this.props.config.model.name;
  }

  /** Every problem of the props at once: Fargate sizes, networking, the team's containers, shards, the hyperparameters. */
  private validateProps(): void {
    const { props } = this;
    const { training } = props.config;
    const problems = fargateSizeProblems(training.processing.vcpus, training.processing.memoryMiB);
    if (props.trainingInVpc && !props.vpc) {
      problems.push('trainingInVpc needs vpc: the generated network has no route SageMaker could use for the team');
    }
    if (training.container) problems.push(...trainingContainerProblems(training.container));
    if (training.processing.container && training.processing.shards > 1) {
      problems.push(
        `training.processing.shards of ${training.processing.shards} needs the built-in processing image: a team's container follows the one-job contract (docs/container-contract.md), got a container and shards`,
      );
    }
    if (training.processing.container) {
      problems.push(
        ...processingContainerProblems(training.processing.container, { ownNetwork: props.vpc !== undefined, region: Stack.of(this).region }),
      );
    }
    problems.push(...hyperparameterProblems(props.config));
    throwOnPropProblems(this, problems);
  }

  /** The network of the processing job (and of the training job with `trainingInVpc`). */
  private network(): JobNetwork {
    if (this.props.vpc) return { vpc: this.props.vpc, vpcSubnets: this.props.vpcSubnets };
    const created = new PipelineVpc(this, 'Network');
    return { vpc: created.vpc, vpcSubnets: created.subnets };
  }

  /** The role SageMaker assumes: the processed splits, the model output and, with spot, the run's checkpoints. */
  private createTrainingRole(): iam.Role {
    const { artifactStore, config } = this.props;
    const role = new iam.Role(this, 'TrainingRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `SageMaker training jobs of ${this.modelName}: read processed splits, write the model`,
    });
    artifactStore.grantRead(role, processedPrefix('*'));
    artifactStore.grantWrite(role, modelOutputPrefix('*'));
    // SageMaker uploads /opt/ml/checkpoints while the job runs and downloads it again when a spot job resumes.
    if (config.training.spot) artifactStore.grantReadWrite(role, checkpointPrefix('*'));
    this.grantTrainingJobLogs(role);
    return role;
  }

  /** The built-in trainer image, or the team's `training.container`. */
  private trainingImage(): PipelineImage {
    const team = this.props.config.training.container;
    return team
      ? PipelineImage.fromContainerSpec(this, 'TrainerImage', team)
      : PipelineImage.builtIn(this, 'TrainerImage', TRAINING_PIPELINE_SPEC.training.dockerfile);
  }

  /** A pipeline step function: told the registry, the artifact store and the model; invoked only by the state machine. */
  private pipelineFunction(
    id: string,
    props: Omit<MlopsFunctionProps, 'metricsNamespace' | 'environment'> & { environment?: Record<string, string> },
  ): MlopsFunction {
    const { registry, artifactStore, metricsNamespace } = this.props;
    const fn = new MlopsFunction(this, id, {
      ...props,
      metricsNamespace,
      environment: {
        REGISTRY_TABLE_NAME: registry.table.tableName,
        ARTIFACT_BUCKET: artifactStore.bucket.bucketName,
        MODEL_NAME: this.modelName,
        ...props.environment,
      },
    });
    acknowledge(
      fn,
      'Serverless-LambdaDLQ',
      'Invoked synchronously by the training state machine, which retries transient errors and catches the rest into RecordFailure; a DLQ applies only to asynchronous invocations.',
    );
    return fn;
  }

  /** Evaluate: scores the model on the validation and holdout splits and applies the gate (onnxruntime). */
  private createEvaluateFunction(): MlopsFunction {
    const { registry, artifactStore, config } = this.props;
    const fn = this.pipelineFunction('EvaluateFunction', {
      entry: TRAINING_PIPELINE_SPEC.evaluation.entry,
      description: `Scores a trained ${this.modelName} model on the validation and holdout splits and applies the gate`,
      serviceName: 'pipeline-evaluate',
      usesOnnxRuntime: true,
      memorySize: 2048,
      timeout: Duration.minutes(5),
      environment: { EVALUATION_CONFIG: JSON.stringify(evaluationConfig(config)) },
    });
    registry.grantRead(fn);
    artifactStore.grantRead(fn, processedPrefix('*')); // splits and dataset.json
    artifactStore.grantRead(fn, modelOutputPrefix('*'));
    return fn;
  }

  /** Register: writes the evaluated model as a new version. */
  private createRegisterFunction(): MlopsFunction {
    const fn = this.pipelineFunction('RegisterFunction', {
      entry: 'lambdas/pipeline/register.handler.ts',
      description: `Registers an evaluated ${this.modelName} model version`,
      serviceName: 'pipeline-register',
    });
    this.props.registry.grantRegistryWrite(fn);
    return fn;
  }

  /** RecordFailure: writes a failed run into the registry. */
  private createRecordFailureFunction(): MlopsFunction {
    const fn = this.pipelineFunction('RecordFailureFunction', {
      entry: 'lambdas/pipeline/record-failure.handler.ts',
      description: `Records a failed ${this.modelName} training run in the registry`,
      serviceName: 'pipeline-record-failure',
    });
    this.props.registry.grantRegistryWrite(fn);
    return fn;
  }

  /** The state machine (lib/private/training-definition.ts), limited to the longest a run may take. */
  private createStateMachine(network: JobNetwork, trainingImage: PipelineImage): sfn.StateMachine {
    const { config, artifactStore, trainingInVpc, codeVersion } = this.props;
    const definition = trainingDefinition(this, {
      config,
      artifactStore,
      processingJobQueue: this.processingJobQueue,
      processingJobDefinition: this.processingJobDefinition,
      trainingRole: this.trainingRole,
      trainingImage,
      trainingNetwork: trainingInVpc ? network : undefined,
      evaluateFunction: this.evaluateFunction,
      registerFunction: this.registerFunction,
      recordFailureFunction: this.recordFailureFunction,
      codeVersion: codeVersion ?? trainingImage.version,
    });
    const stateMachine = monitoredStateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      comment: `Training pipeline of ${this.modelName}`,
      timeout: this.runTimeout(),
    });
    this.acknowledgeTaskGrants(stateMachine);
    return stateMachine;
  }

  /** The wildcards the Batch, SageMaker and Lambda task grants put in the state machine's role, each with its reason. */
  private acknowledgeTaskGrants(stateMachine: sfn.StateMachine): void {
    const stack = Stack.of(this);
    acknowledgeStateMachineRole(stateMachine, [
      {
        resource: stack.formatArn({ service: 'batch', resource: 'job-definition', resourceName: '*' }),
        reason: 'BatchSubmitJob grants batch:SubmitJob on job-definition/* because a job definition ARN carries its revision; the job queue is named exactly.',
      },
      {
        resource: stack.formatArn({ service: 'sagemaker', resource: 'training-job', resourceName: '*' }),
        reason: 'Training jobs are named after the execution at run time; the role may only create/describe/stop training jobs.',
      },
      ...[this.evaluateFunction, this.registerFunction, this.recordFailureFunction].map((fn) => ({
        resource: `${fn.functionArn}:*`,
        reason: 'Invoke of the versions and aliases of this one pipeline function (added by the LambdaInvoke task).',
      })),
    ], 'sagemaker:ListTags (the .sync integration) has none either');
  }

  /** Runs on the team config's `training.schedule`, started by EventBridge (which names the executions). */
  private scheduleRuns(schedule: string): void {
    const dlq = deadLetterQueue(this, 'ScheduleDlq');
    new events.Rule(this, 'Schedule', {
      description: `Scheduled retraining of ${this.modelName}`,
      schedule: events.Schedule.expression(schedule),
      targets: [
        new targets.SfnStateMachine(this.stateMachine, {
          input: events.RuleTargetInput.fromObject({ trigger: 'schedule', reason: `schedule ${schedule}` }),
          ...ruleTargetOptions(dlq),
        }),
      ],
    });
  }

  /** What SageMaker needs to log and report metrics of the training job, and nothing else. */
  private grantTrainingJobLogs(role: iam.Role): void {
    const logGroup = Stack.of(this).formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: '/aws/sagemaker/TrainingJobs:*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [logGroup],
      }),
    );
    acknowledgeWildcardResource(role, logGroup, 'SageMaker writes one log stream per training job into its fixed log group /aws/sagemaker/TrainingJobs.');
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': '/aws/sagemaker/TrainingJobs' } },
      }),
    );
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'cloudwatch:PutMetricData supports no resource-level permissions; the statement is limited to the /aws/sagemaker/TrainingJobs namespace by condition. ecr:GetAuthorizationToken (image pull) has no resource either.',
    );
  }
}
