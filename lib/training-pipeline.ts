import { ArnFormat, Duration, Size, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  baselineKey,
  checkpointPrefix,
  datasetLineageKey,
  modelOutputPrefix,
  parseS3Uri,
  processedPrefix,
  splitKey,
} from '../contracts/storage-layout';
import { TRAINING_PIPELINE_SPEC } from '../contracts/training-pipeline-spec';
import { trainingHyperparameters } from '../pipelines/trainer/hyperparameters';
import type { IArtifactStore } from './artifact-store';
import type { IModelRegistry } from './model-registry';
import { encryptedLogGroup } from './private/log-encryption';
import { MlopsFunction, type MlopsFunctionProps } from './private/mlops-function';
import { acknowledge, acknowledgeKmsGrant, acknowledgeWildcardResource } from './private/nag';
import { PipelineImage } from './private/pipeline-image';
import { processingContainerProblems, trainingContainerProblems } from './private/pipeline-containers';
import { throwOnPropProblems } from './private/prop-problems';
import { RunLocation } from './private/run-location';
import { PipelineVpc } from './private/pipeline-vpc';
import { deadLetterQueue, ruleTargetOptions } from './private/queues';
import { acknowledgeStateMachineRole, lambdaStep, monitoredStateMachine } from './private/state-machines';
import { TrainingJobTask } from './private/training-job-task';
import type { TeamConfig } from '../contracts/team-config';

/** How a run was started; part of the input `{ trigger, reason?, datasetUri? }`. */
export const TRAINING_TRIGGERS = ['manual', 'schedule', 'drift'] as const;

export interface TrainingPipelineProps {
  /** The team config: model, features, training, evaluation. Passed whole to the processing job (TEAM_CONFIG). */
  readonly config: TeamConfig;
  readonly artifactStore: IArtifactStore;
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

/** Fargate's valid memory sizes (MiB) for each vCPU value. */
const FARGATE_MEMORY: Record<number, [number, number, number]> = {
  0.25: [512, 2048, 1024],
  0.5: [1024, 4096, 1024],
  1: [2048, 8192, 1024],
  2: [4096, 16384, 1024],
  4: [8192, 30720, 1024],
  8: [16384, 61440, 4096],
  16: [32768, 122880, 8192],
};

interface JobNetwork {
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
}

/** Batch stops a processing job that runs longer (one attempt: the job is not retried). */
const PROCESSING_JOB_TIMEOUT = Duration.hours(2);
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
  readonly stateMachine: sfn.StateMachine;
  /** The role SageMaker assumes for the training job. */
  readonly trainingRole: iam.Role;
  /** The Batch job queue and definition of the processing step. */
  readonly processingJobQueue: batch.JobQueue;
  readonly processingJobDefinition: batch.EcsJobDefinition;
  readonly evaluateFunction: MlopsFunction;
  readonly registerFunction: MlopsFunction;
  readonly recordFailureFunction: MlopsFunction;

  private readonly props: TrainingPipelineProps;

  constructor(scope: Construct, id: string, props: TrainingPipelineProps) {
    super(scope, id);
    this.props = props;
    this.validate(props);
    const network = this.network();

    const processing = this.createProcessingJob(network);
    this.processingJobDefinition = processing.definition;
    this.processingJobQueue = processing.queue;

    this.trainingRole = this.createTrainingRole();
    const trainingImage = this.trainingImage();

    this.evaluateFunction = this.pipelineFunction('EvaluateFunction', {
      entry: TRAINING_PIPELINE_SPEC.evaluation.entry,
      description: `Scores a trained ${this.modelName} model on the validation and holdout splits and applies the gate`,
      serviceName: 'pipeline-evaluate',
      usesOnnxRuntime: true,
      memorySize: 2048,
      timeout: Duration.minutes(5),
      environment: { EVALUATION_CONFIG: JSON.stringify(evaluationConfig(props.config)) },
    });
    props.registry.grantRead(this.evaluateFunction);
    props.artifactStore.grantRead(this.evaluateFunction, processedPrefix('*')); // splits and dataset.json
    props.artifactStore.grantRead(this.evaluateFunction, modelOutputPrefix('*'));
    this.registerFunction = this.pipelineFunction('RegisterFunction', {
      entry: 'lambdas/pipeline/register.handler.ts',
      description: `Registers an evaluated ${this.modelName} model version`,
      serviceName: 'pipeline-register',
    });
    props.registry.grantRegistryWrite(this.registerFunction);
    this.recordFailureFunction = this.pipelineFunction('RecordFailureFunction', {
      entry: 'lambdas/pipeline/record-failure.handler.ts',
      description: `Records a failed ${this.modelName} training run in the registry`,
      serviceName: 'pipeline-record-failure',
    });
    props.registry.grantRegistryWrite(this.recordFailureFunction);

    this.stateMachine = monitoredStateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(this.renderDefinition(network, trainingImage)),
      comment: `Training pipeline of ${this.modelName}`,
      timeout: this.runTimeout(),
    });
    this.acknowledgeTaskGrants();
    if (props.config.training.schedule) this.scheduleRuns(props.config.training.schedule);
  }

  /**
   * The state machine's limit: longer than the longest its steps may take, so a run is never cut short while its
   * jobs are within their own limits. A spot training job waits up to maxWait (which includes its runtime), an
   * on-demand one runs up to maxRuntime.
   */
  private runTimeout(): Duration {
    const { maxRuntimeMinutes, spot } = this.props.config.training;
    const training = Duration.minutes(spot ? spot.maxWaitMinutes : maxRuntimeMinutes);
    return PROCESSING_JOB_TIMEOUT.plus(training).plus(RUN_ALLOWANCE);
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

  /** Every problem of the props at once: Fargate sizes, networking, the team's containers. */
  private validate(props: TrainingPipelineProps): void {
    const problems: string[] = [];
    const { training } = props.config;
    const { vcpus, memoryMiB } = training.processing;
    const range = FARGATE_MEMORY[vcpus];
    if (!range) {
      problems.push(`training.processing.vcpus must be one of ${Object.keys(FARGATE_MEMORY).join(', ')} on Fargate, got: ${vcpus}`);
    } else {
      const [min, max, step] = range;
      if (memoryMiB < min || memoryMiB > max || memoryMiB % step !== 0) {
        problems.push(
          `training.processing.memoryMiB for ${vcpus} vCPU must be ${min}-${max} in steps of ${step} on Fargate, got: ${memoryMiB}`,
        );
      }
    }
    if (props.trainingInVpc && !props.vpc) {
      problems.push('trainingInVpc needs vpc: the generated network has no route SageMaker could use for the team');
    }
    if (training.container) problems.push(...trainingContainerProblems(training.container));
    if (training.processing.container) {
      problems.push(
        ...processingContainerProblems(training.processing.container, { ownNetwork: props.vpc !== undefined, region: Stack.of(this).region }),
      );
    }
    throwOnPropProblems(this, problems);
  }

  /** The network of the processing job (and of the training job with `trainingInVpc`). */
  private network(): JobNetwork {
    if (this.props.vpc) return { vpc: this.props.vpc, vpcSubnets: this.props.vpcSubnets };
    const created = new PipelineVpc(this, 'Network');
    return { vpc: created.vpc, vpcSubnets: created.subnets };
  }

  /** Process: AWS Batch on Fargate, the built-in processing image or the team's `training.processing.container`. */
  private createProcessingJob(network: JobNetwork): { definition: batch.EcsJobDefinition; queue: batch.JobQueue } {
    const { config, artifactStore } = this.props;
    const spec = TRAINING_PIPELINE_SPEC.processing;
    const team = config.training.processing.container;
    const image = team
      ? PipelineImage.fromContainerSpec(this, 'ProcessingImage', team)
      : PipelineImage.builtIn(this, 'ProcessingImage', spec.dockerfile);
    const jobRole = new iam.Role(this, 'ProcessingJobRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `Processing job of ${this.modelName}: reads the dataset, writes the processed splits`,
    });
    this.grantDatasetRead(jobRole, config.training.datasetUri);
    // The built-in image writes each artifact once (If-None-Match: *, pipelines/processing/run-artifact.ts), so its
    // role may never replace an object under runs/*/processed/, another run's included. A team's image is not held to
    // a header it was not written for: its role may replace objects there (docs/architecture.md, write scope).
    if (team) artifactStore.grantWrite(jobRole, processedPrefix('*'));
    else artifactStore.grantWriteOnce(jobRole, processedPrefix('*'));
    const logGroup = encryptedLogGroup(this, 'ProcessingLogs', { retention: logs.RetentionDays.THREE_MONTHS });
    const definition = new batch.EcsJobDefinition(this, 'ProcessingJob', {
      container: new batch.EcsFargateContainerDefinition(this, 'ProcessingContainer', {
        image: image.forEcs(),
        command: team?.command?.length ? team.command : undefined,
        cpu: config.training.processing.vcpus,
        memory: Size.mebibytes(config.training.processing.memoryMiB),
        jobRole,
        fargateCpuArchitecture: ecs.CpuArchitecture.X86_64,
        fargateOperatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'processing', logGroup }),
        // INPUT_URI and OUTPUT_URI are per run: the Process step sets them (containerOverrides).
        environment: {
          ...team?.environment,
          [spec.environment.teamConfig]: JSON.stringify(config),
          [spec.environment.splitSeed]: String(config.training.hyperparameters.seed ?? 0),
        },
      }),
      timeout: PROCESSING_JOB_TIMEOUT,
      retryAttempts: 1,
    });
    acknowledge(
      definition.container.executionRole,
      'AwsSolutions-IAM5[Resource::*]',
      'ecr:GetAuthorizationToken (pulling the processing image) supports no resource-level permissions; the pull itself is limited to the image repository.',
    );
    const computeEnvironment = new batch.FargateComputeEnvironment(this, 'ProcessingCompute', {
      vpc: network.vpc,
      vpcSubnets: network.vpcSubnets,
      securityGroups: this.props.securityGroups,
      maxvCpus: Math.max(4, config.training.processing.vcpus * 2),
    });
    const queue = new batch.JobQueue(this, 'ProcessingQueue', { computeEnvironments: [{ computeEnvironment, order: 1 }] });
    return { definition, queue };
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

  /** ApplyDefaults -> Initialize -> ValidTrigger? -> Process -> Train -> Evaluate -> PassedGate? -> Register. */
  private renderDefinition(network: JobNetwork, trainingImage: PipelineImage): sfn.IChainable {
    const { config, artifactStore } = this.props;
    const { processing: processingSpec, training: trainingSpec } = TRAINING_PIPELINE_SPEC;
    const bucketName = artifactStore.bucket.bucketName;
    // A run's keys come from storage-layout with the execution name left as States.Format's `{}` placeholder.
    const runUri = (key: (execution: string) => string) => `States.Format('s3://${bucketName}/${key('{}')}', $.executionName)`;
    const datasetUri = config.training.datasetUri.startsWith('s3://')
      ? config.training.datasetUri
      : artifactStore.s3Uri(config.training.datasetUri);
    const { spot, container } = config.training;

    const defaults = new sfn.Pass(this, 'ApplyDefaults', {
      comment: 'Input { trigger, reason?, datasetUri?, requestedBy? }; missing fields come from the team config',
      parameters: {
        // requestedBy: the person whose approval API request started the run (POST /models/{model}/runs); {} for a run
        // nobody requested through the API (schedule, drift). Not null: a path to null is no value to Step Functions.
        defaults: { trigger: 'manual', reason: '', datasetUri, requestedBy: {} },
        'input.$': '$',
        'executionName.$': '$$.Execution.Name',
      },
    });
    const initialize = new sfn.Pass(this, 'Initialize', {
      comment: 'Every S3 location of the run derives from the execution name (docs/architecture.md, S3 layout)',
      parameters: {
        'input.$': 'States.JsonMerge($.defaults, $.input, false)',
        'executionName.$': '$.executionName',
        model: this.modelName,
        'processedUri.$': runUri(processedPrefix),
        'validationUri.$': runUri((execution) => splitKey(execution, 'validation')),
        'holdoutUri.$': runUri((execution) => splitKey(execution, 'holdout')),
        'baselineUri.$': runUri(baselineKey),
        'datasetLineageUri.$': runUri(datasetLineageKey),
        'modelOutputUri.$': runUri(modelOutputPrefix),
        ...(spot ? { 'checkpointUri.$': runUri(checkpointPrefix) } : {}),
        channels: Object.fromEntries(
          Object.values(trainingSpec.channels).map((channel) => [
            `${channel}.$`,
            runUri((execution) => `${processedPrefix(execution)}${channel}/`),
          ]),
        ),
      },
    });
    const validTrigger = new sfn.Choice(this, 'ValidTrigger?', {
      comment: `trigger must be one of ${TRAINING_TRIGGERS.join(', ')}`,
    });
    const invalidInput = new sfn.Fail(this, 'InvalidInput', {
      error: 'InvalidInput',
      cause: `input.trigger must be one of ${TRAINING_TRIGGERS.join(', ')}`,
    });

    const processStep = new tasks.BatchSubmitJob(this, 'Process', {
      comment: 'Validate and split the dataset, write the baseline and lineage under runs/<execution>/processed/',
      jobName: 'process',
      jobQueueArn: this.processingJobQueue.jobQueueArn,
      jobDefinitionArn: this.processingJobDefinition.jobDefinitionArn,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      containerOverrides: {
        environment: {
          [processingSpec.environment.input]: sfn.JsonPath.stringAt('$.input.datasetUri'),
          [processingSpec.environment.output]: sfn.JsonPath.stringAt('$.processedUri'),
        },
      },
      resultSelector: { 'JobId.$': '$.JobId', 'JobName.$': '$.JobName' },
      resultPath: '$.processing',
    });
    // Only Batch's own API faults are retried; a failed job (States.TaskFailed) is a real failure.
    processStep.addRetry({
      errors: ['Batch.AWSBatchException', 'Batch.ServerException', 'Batch.TooManyRequestsException'],
      interval: Duration.seconds(10),
      maxAttempts: 3,
      backoffRate: 2,
    });

    const trainStep = new TrainingJobTask(this, 'Train', {
      comment: 'Named after the execution: a retry of the whole run reuses the name, SageMaker refuses a duplicate',
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      trainingJobName: sfn.JsonPath.stringAt('$.executionName'),
      role: this.trainingRole,
      algorithmSpecification: {
        trainingImage: trainingImage.forSageMaker(),
        trainingInputMode: tasks.InputMode.FILE,
      },
      containerEntrypoint: container?.entryPoint,
      containerArguments: container?.command,
      environment: container && Object.keys(container.environment).length ? container.environment : undefined,
      // Every instance gets every row (FullyReplicated): a distributed container shards the data itself.
      inputDataConfig: Object.values(trainingSpec.channels).map((channel) => ({
        channelName: channel,
        contentType: trainingSpec.contentType,
        dataSource: {
          s3DataSource: {
            s3DataType: tasks.S3DataType.S3_PREFIX,
            s3DataDistributionType: tasks.S3DataDistributionType.FULLY_REPLICATED,
            s3Location: RunLocation.at(`$.channels.${channel}`),
          },
        },
      })),
      outputDataConfig: {
        s3OutputLocation: RunLocation.at('$.modelOutputUri'),
        encryptionKey: artifactStore.encryptionKey,
      },
      resourceConfig: {
        instanceCount: config.training.instanceCount,
        instanceType: new ec2.InstanceType(config.training.instanceType.replace(/^ml\./, '')),
        volumeSize: Size.gibibytes(config.training.volumeSizeGiB),
        volumeEncryptionKey: artifactStore.encryptionKey,
      },
      stoppingCondition: { maxRuntime: Duration.minutes(config.training.maxRuntimeMinutes) },
      spot: spot && {
        maxWait: Duration.minutes(spot.maxWaitMinutes),
        checkpointS3Uri: sfn.JsonPath.stringAt('$.checkpointUri'),
        checkpointLocalPath: trainingSpec.checkpointDirectory,
      },
      enableNetworkIsolation: true,
      hyperparameters: trainingHyperparameters(config),
      vpcConfig: this.props.trainingInVpc ? { vpc: network.vpc, subnets: network.vpcSubnets } : undefined,
      resultSelector: {
        'ModelArtifacts.$': '$.ModelArtifacts',
        'TrainingJobName.$': '$.TrainingJobName',
        'TrainingImage.$': '$.AlgorithmSpecification.TrainingImage',
      },
      resultPath: '$.training',
    });
    // No Retry: CreateTrainingJob with the same name fails on a duplicate, and a new name would train twice.
    acknowledgeKmsGrant(this.trainingRole); // the task's grant of the artifact key for volume and output encryption

    const evaluateStep = lambdaStep(this, 'Evaluate', this.evaluateFunction, {
      comment: 'onnxruntime on validation and holdout; gate and champion/challenger decide passed and approve; reads the dataset lineage',
      payload: {
        'executionName.$': '$.executionName',
        'model.$': '$.model',
        'modelArtifactUri.$': '$.training.ModelArtifacts.S3ModelArtifacts',
        'validationUri.$': '$.validationUri',
        'holdoutUri.$': '$.holdoutUri',
        'datasetLineageUri.$': '$.datasetLineageUri',
      },
      resultPath: '$.evaluation',
    });
    const gate = new sfn.Choice(this, 'PassedGate?', { comment: `${config.evaluation.primaryMetric} vs ${config.evaluation.threshold}` });
    const belowGate = new sfn.Pass(this, 'BelowGate', {
      comment: 'A model below the gate is a run outcome worth recording, not registering',
      parameters: {
        Error: 'ModelBelowThreshold',
        'Cause.$': 'States.JsonToString($.evaluation)',
      },
      resultPath: '$.error',
    });
    const registerStep = lambdaStep(this, 'Register', this.registerFunction, {
      comment: 'pending_approval, or approved when the gate auto-approves',
      payload: {
        'executionName.$': '$.executionName',
        'model.$': '$.model',
        'requestedBy.$': '$.input.requestedBy',
        'artifactUri.$': '$.training.ModelArtifacts.S3ModelArtifacts',
        'artifactSha256.$': '$.evaluation.artifactSha256',
        'metrics.$': '$.evaluation.metrics',
        primaryMetric: config.evaluation.primaryMetric,
        // From the processing job's dataset.json (via Evaluate): the dataset actually read, and the sha256 of its bytes.
        'datasetUri.$': '$.evaluation.dataset.uri',
        'datasetSha256.$': '$.evaluation.dataset.sha256',
        'baselineUri.$': '$.baselineUri',
        'holdoutUri.$': '$.holdoutUri',
        codeVersion: this.props.codeVersion ?? trainingImage.version,
        'image.$': '$.training.TrainingImage',
        'approve.$': '$.evaluation.approve',
      },
      resultPath: '$.registration',
    });
    const recordFailure = lambdaStep(this, 'RecordFailure', this.recordFailureFunction, {
      comment: 'Writes RUN#<execution> with the error, so failed runs show up in the registry',
      payload: { 'executionName.$': '$$.Execution.Name', model: this.modelName, 'error.$': '$.error' },
      resultPath: '$.failureRecord',
    });
    const failed = new sfn.Fail(this, 'RunFailed', { causePath: '$.error.Cause', errorPath: '$.error.Error' });
    recordFailure.next(failed);
    belowGate.next(recordFailure);

    for (const step of [processStep, trainStep, evaluateStep, registerStep]) {
      step.addCatch(recordFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    }

    return defaults
      .next(initialize)
      .next(
        validTrigger
          .when(
            sfn.Condition.or(...TRAINING_TRIGGERS.map((t) => sfn.Condition.stringEquals('$.input.trigger', t))),
            processStep
              .next(trainStep)
              .next(evaluateStep)
              .next(
                gate
                  .when(sfn.Condition.booleanEquals('$.evaluation.gate.passed', true), registerStep.next(new sfn.Succeed(this, 'Registered')))
                  .otherwise(belowGate),
              ),
          )
          .otherwise(invalidInput),
      );
  }

  /** The wildcards the Batch, SageMaker and Lambda task grants put in the state machine's role, each with its reason. */
  private acknowledgeTaskGrants(): void {
    const stack = Stack.of(this);
    acknowledgeStateMachineRole(this.stateMachine, [
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

  /** The configured dataset: a prefix of the artifact store, or an s3:// URI of another bucket. */
  private grantDatasetRead(role: iam.Role, datasetUri: string): void {
    // Runs may name another dataset under datasets/ in their input.
    this.props.artifactStore.grantRead(role, 'datasets/');
    if (!datasetUri.startsWith('s3://')) {
      if (!datasetUri.startsWith('datasets/')) this.props.artifactStore.grantRead(role, datasetUri);
      return;
    }
    const { bucket, key } = parseS3Uri(datasetUri);
    const bucketArn = Stack.of(this).formatArn({ service: 's3', region: '', account: '', resource: bucket });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${key}*`] } },
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [`${bucketArn}/${key}*`] }));
    acknowledgeWildcardResource(role, `${bucketArn}/${key}*`, `Read of the team's dataset prefix ${datasetUri}; file names under it are the team's.`);
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
