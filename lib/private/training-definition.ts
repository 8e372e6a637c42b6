import { Duration, Size } from 'aws-cdk-lib';
import type * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import {
  baselineKey,
  checkpointPrefix,
  datasetLineageKey,
  modelOutputPrefix,
  processedPrefix,
  splitKey,
} from '../../contracts/storage-layout';
import type { TeamConfig } from '../../contracts/team-config';
import { TRAINING_PIPELINE_SPEC } from '../../contracts/training-pipeline-spec';
import { HyperparameterError, trainingHyperparameters } from '../../pipelines/trainer/hyperparameters';
import type { IArtifactStore } from '../artifact-store';
import { acknowledgeKmsGrant } from './nag';
import type { PipelineImage } from './pipeline-image';
import { RunLocation } from './run-location';
import { lambdaStep } from './state-machines';
import { TrainingJobTask } from './training-job-task';

/** How a run was started; part of the input `{ trigger, reason?, datasetUri? }`. */
export const TRAINING_TRIGGERS = ['manual', 'schedule', 'drift', 'quality'] as const;

/** Problems of the hyperparameters the Train state would pass (reserved keys, SageMaker's limits, the built-in trainer's schema). */
export function hyperparameterProblems(config: TeamConfig): string[] {
  try {
    trainingHyperparameters(config);
    return [];
  } catch (err) {
    if (err instanceof HyperparameterError) return err.problems;
    throw err;
  }
}

/** What the training pipeline's definition runs: its jobs, its functions and the team config they follow. */
export interface TrainingDefinitionProps {
  /** The team config: dataset, training resources, spot, container, gate. */
  readonly config: TeamConfig;
  readonly artifactStore: IArtifactStore;
  readonly processingJobQueue: batch.IJobQueue;
  readonly processingJobDefinition: batch.IJobDefinition;
  /** The role SageMaker assumes for the training job. */
  readonly trainingRole: iam.IRole;
  readonly trainingImage: PipelineImage;
  /** The training job's network. @default - none: network isolation only */
  readonly trainingNetwork?: { readonly vpc: ec2.IVpc; readonly vpcSubnets?: ec2.SubnetSelection };
  readonly evaluateFunction: lambda.IFunction;
  readonly registerFunction: lambda.IFunction;
  readonly recordFailureFunction: lambda.IFunction;
  /** Version of the training code recorded with every model version. */
  readonly codeVersion: string;
}

/**
 * ApplyDefaults -> Initialize -> ValidTrigger? -> Process (-> MergeShards when sharded) -> Train -> Evaluate -> PassedGate? -> Register; every
 * failure (and a model below the gate) goes to RecordFailure, then RunFailed. The states are created in `scope` (the
 * TrainingPipeline), so their names are the state names of the machine.
 */
export function trainingDefinition(scope: Construct, props: TrainingDefinitionProps): sfn.IChainable {
  const processSteps = processStates(scope, props);
  const trainStep = trainState(scope, props);
  const evaluateStep = evaluateState(scope, props);
  const registerStep = registerState(scope, props);
  const recordFailure = recordFailureState(scope, props);
  const belowGate = new sfn.Pass(scope, 'BelowGate', {
    comment: 'A model below the gate is a run outcome worth recording, not registering',
    parameters: {
      Error: 'ModelBelowThreshold',
      'Cause.$': 'States.JsonToString($.evaluation)',
    },
    resultPath: '$.error',
  });
  belowGate.next(recordFailure);
  for (const step of [...processSteps, trainStep, evaluateStep, registerStep]) {
    step.addCatch(recordFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
  }
  const { evaluation } = props.config;
  const gate = new sfn.Choice(scope, 'PassedGate?', { comment: `${evaluation.primaryMetric} vs ${evaluation.threshold}` });
  const validTrigger = new sfn.Choice(scope, 'ValidTrigger?', {
    comment: `trigger must be one of ${TRAINING_TRIGGERS.join(', ')}`,
  });
  const invalidInput = new sfn.Fail(scope, 'InvalidInput', {
    error: 'InvalidInput',
    cause: `input.trigger must be one of ${TRAINING_TRIGGERS.join(', ')}`,
  });

  return applyDefaultsState(scope, props)
    .next(initializeState(scope, props))
    .next(
      validTrigger
        .when(
          sfn.Condition.or(...TRAINING_TRIGGERS.map((t) => sfn.Condition.stringEquals('$.input.trigger', t))),
          chainOf(processSteps)
            .next(trainStep)
            .next(evaluateStep)
            .next(
              gate
                .when(sfn.Condition.booleanEquals('$.evaluation.gate.passed', true), registerStep.next(new sfn.Succeed(scope, 'Registered')))
                .otherwise(belowGate),
            ),
        )
        .otherwise(invalidInput),
    );
}

/** `steps` one after the other. */
function chainOf(steps: readonly tasks.BatchSubmitJob[]): sfn.Chain {
  return steps.slice(1).reduce((chain, step) => chain.next(step), sfn.Chain.start(steps[0]));
}

/** The run's input with the team config's defaults for what it leaves out. */
function applyDefaultsState(scope: Construct, { config, artifactStore }: TrainingDefinitionProps): sfn.Pass {
  const datasetUri = config.training.datasetUri.startsWith('s3://') ? config.training.datasetUri : artifactStore.s3Uri(config.training.datasetUri);
  return new sfn.Pass(scope, 'ApplyDefaults', {
    comment: 'Input { trigger, reason?, datasetUri?, requestedBy? }; missing fields come from the team config',
    parameters: {
      // requestedBy: the person whose approval API request started the run (POST /models/{model}/runs); {} for a run
      // nobody requested through the API (schedule, drift, quality). Not null: a path to null is no value to Step Functions.
      defaults: { trigger: 'manual', reason: '', datasetUri, requestedBy: {} },
      'input.$': '$',
      'executionName.$': '$$.Execution.Name',
    },
  });
}

/** The merged input and every S3 location of the run, each derived from the execution name. */
function initializeState(scope: Construct, { config, artifactStore }: TrainingDefinitionProps): sfn.Pass {
  const bucketName = artifactStore.bucket.bucketName;
  // A run's keys come from storage-layout with the execution name left as States.Format's `{}` placeholder.
  const runUri = (key: (execution: string) => string) => `States.Format('s3://${bucketName}/${key('{}')}', $.executionName)`;
  return new sfn.Pass(scope, 'Initialize', {
    comment: 'Every S3 location of the run derives from the execution name (docs/architecture.md, S3 layout)',
    parameters: {
      'input.$': 'States.JsonMerge($.defaults, $.input, false)',
      'executionName.$': '$.executionName',
      model: config.model.name,
      'processedUri.$': runUri(processedPrefix),
      'validationUri.$': runUri((execution) => splitKey(execution, 'validation')),
      'holdoutUri.$': runUri((execution) => splitKey(execution, 'holdout')),
      'baselineUri.$': runUri(baselineKey),
      'datasetLineageUri.$': runUri(datasetLineageKey),
      'modelOutputUri.$': runUri(modelOutputPrefix),
      ...(config.training.spot ? { 'checkpointUri.$': runUri(checkpointPrefix) } : {}),
      channels: Object.fromEntries(
        Object.values(TRAINING_PIPELINE_SPEC.training.channels).map((channel) => [
          `${channel}.$`,
          runUri((execution) => `${processedPrefix(execution)}${channel}/`),
        ]),
      ),
    },
  });
}

/** Only Batch's own API faults are retried; a failed job (States.TaskFailed) is a real failure. */
function retryBatchFaults(step: tasks.BatchSubmitJob): tasks.BatchSubmitJob {
  step.addRetry({
    errors: ['Batch.AWSBatchException', 'Batch.ServerException', 'Batch.TooManyRequestsException'],
    interval: Duration.seconds(10),
    maxAttempts: 3,
    backoffRate: 2,
  });
  return step;
}

/**
 * Process: the Batch job, given the run's dataset and output prefix. With `training.processing.shards` above 1, an
 * array job of that many children (each a group of the dataset's objects, by AWS_BATCH_JOB_ARRAY_INDEX), then
 * MergeShards, a job of the same definition that writes the splits, baseline and lineage from the shards' outputs.
 */
function processStates(scope: Construct, props: TrainingDefinitionProps): tasks.BatchSubmitJob[] {
  const env = TRAINING_PIPELINE_SPEC.processing.environment;
  const shards = props.config.training.processing.shards;
  const runEnvironment = {
    [env.input]: sfn.JsonPath.stringAt('$.input.datasetUri'),
    [env.output]: sfn.JsonPath.stringAt('$.processedUri'),
  };
  const job = (id: string, comment: string, jobName: string, environment: Record<string, string>, arraySize?: number) =>
    retryBatchFaults(
      new tasks.BatchSubmitJob(scope, id, {
        comment,
        jobName,
        jobQueueArn: props.processingJobQueue.jobQueueArn,
        jobDefinitionArn: props.processingJobDefinition.jobDefinitionArn,
        integrationPattern: sfn.IntegrationPattern.RUN_JOB,
        arraySize,
        containerOverrides: { environment: { ...runEnvironment, ...environment } },
        resultSelector: { 'JobId.$': '$.JobId', 'JobName.$': '$.JobName' },
        resultPath: '$.processing',
      }),
    );
  if (shards === 1) {
    return [job('Process', 'Validate and split the dataset, write the baseline and lineage under runs/<execution>/processed/', 'process', {})];
  }
  const sharded = { [env.shards]: String(shards) };
  return [
    job(
      'Process',
      `${shards} shards, each a consecutive group of the dataset's objects: validate and split its rows under runs/<execution>/processed/shards/<index>/`,
      'process-shards',
      { ...sharded, [env.step]: 'shard' },
      shards,
    ),
    job('MergeShards', "Write the splits, baseline and lineage from the shards' outputs, in shard order", 'merge-shards', { ...sharded, [env.step]: 'merge' }),
  ];
}

/** Train: the SageMaker training job, named after the execution, network isolated, encrypted with the artifact key. */
function trainState(scope: Construct, props: TrainingDefinitionProps): TrainingJobTask {
  const { config, artifactStore, trainingRole, trainingImage, trainingNetwork } = props;
  const trainingSpec = TRAINING_PIPELINE_SPEC.training;
  const { spot, container } = config.training;
  const trainStep = new TrainingJobTask(scope, 'Train', {
    comment: 'Named after the execution: a retry of the whole run reuses the name, SageMaker refuses a duplicate',
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
    trainingJobName: sfn.JsonPath.stringAt('$.executionName'),
    role: trainingRole,
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
    vpcConfig: trainingNetwork ? { vpc: trainingNetwork.vpc, subnets: trainingNetwork.vpcSubnets } : undefined,
    resultSelector: {
      'ModelArtifacts.$': '$.ModelArtifacts',
      'TrainingJobName.$': '$.TrainingJobName',
      'TrainingImage.$': '$.AlgorithmSpecification.TrainingImage',
    },
    resultPath: '$.training',
  });
  // No Retry: CreateTrainingJob with the same name fails on a duplicate, and a new name would train twice.
  acknowledgeKmsGrant(trainingRole); // the task's grant of the artifact key for volume and output encryption
  return trainStep;
}

/** Evaluate: scores the trained model and decides the gate. */
function evaluateState(scope: Construct, props: TrainingDefinitionProps): tasks.LambdaInvoke {
  return lambdaStep(scope, 'Evaluate', props.evaluateFunction, {
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
}

/** Register: the evaluated model as a new version, with its lineage. */
function registerState(scope: Construct, props: TrainingDefinitionProps): tasks.LambdaInvoke {
  return lambdaStep(scope, 'Register', props.registerFunction, {
    comment: 'pending_approval, or approved when the gate auto-approves',
    payload: {
      'executionName.$': '$.executionName',
      'model.$': '$.model',
      'requestedBy.$': '$.input.requestedBy',
      'artifactUri.$': '$.training.ModelArtifacts.S3ModelArtifacts',
      'artifactSha256.$': '$.evaluation.artifactSha256',
      'metrics.$': '$.evaluation.metrics',
      primaryMetric: props.config.evaluation.primaryMetric,
      // From the processing job's dataset.json (via Evaluate): the dataset actually read, and the sha256 of its bytes.
      'datasetUri.$': '$.evaluation.dataset.uri',
      'datasetSha256.$': '$.evaluation.dataset.sha256',
      'baselineUri.$': '$.baselineUri',
      'holdoutUri.$': '$.holdoutUri',
      codeVersion: props.codeVersion,
      'image.$': '$.training.TrainingImage',
      'approve.$': '$.evaluation.approve',
    },
    resultPath: '$.registration',
  });
}

/** RecordFailure, then RunFailed: a failed run shows up in the registry before the execution fails. */
function recordFailureState(scope: Construct, props: TrainingDefinitionProps): tasks.LambdaInvoke {
  const recordFailure = lambdaStep(scope, 'RecordFailure', props.recordFailureFunction, {
    comment: 'Writes RUN#<execution> with the error, so failed runs show up in the registry',
    payload: { 'executionName.$': '$$.Execution.Name', model: props.config.model.name, 'error.$': '$.error' },
    resultPath: '$.failureRecord',
  });
  recordFailure.next(new sfn.Fail(scope, 'RunFailed', { causePath: '$.error.Cause', errorPath: '$.error.Error' }));
  return recordFailure;
}
