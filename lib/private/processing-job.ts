import { Duration, Size, Stack } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { parseS3Uri, processedPrefix } from '../../contracts/storage-layout';
import type { TeamConfig } from '../../contracts/team-config';
import { TRAINING_PIPELINE_SPEC } from '../../contracts/training-pipeline-spec';
import type { IArtifactStore } from '../artifact-store';
import { encryptedLogGroup } from './log-encryption';
import { acknowledge, acknowledgeWildcardResource } from './nag';
import { PipelineImage } from './pipeline-image';

/** Batch stops a processing job's attempt that runs longer. */
const PROCESSING_JOB_TIMEOUT = Duration.hours(2);

/**
 * Attempts of a processing job (or of each child of a sharded run's array job) whose task could not start: ECR's pull
 * limits, an elastic network interface or a secret that did not come in time. Sixteen children starting at once meet
 * these more often than one job does, and one child that never started would fail the whole run.
 */
const PROCESSING_JOB_ATTEMPTS = 3;

/** How long an attempt that fails to start may take, at most: Fargate gives up on a network interface within minutes. */
const START_FAILURE_ALLOWANCE = Duration.minutes(15);

/**
 * Batch runs an attempt again only when its task never started (Batch's and Fargate's words for those failures, as
 * `EvaluateOnExit` patterns). A container that ran and failed did so on its data or its code (a bad row, a bug, memory):
 * running it again would fail the same way after up to PROCESSING_JOB_TIMEOUT, so every other failure ends the job.
 */
const PROCESSING_RETRY_STRATEGIES: batch.RetryStrategy[] = [
  batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.CANNOT_PULL_CONTAINER),
  batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.custom({ onStatusReason: 'ResourceInitializationError*' })),
  batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.custom({ onStatusReason: 'Task failed to start*' })),
  batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.custom({ onStatusReason: 'Timeout waiting for network interface provisioning*' })),
  batch.RetryStrategy.of(batch.Action.EXIT, batch.Reason.custom({ onStatusReason: '*' })),
];

/** Children of a sharded run's array job that the compute environment runs at once (its maxvCpus). */
const CONCURRENT_SHARDS = 16;

/**
 * The longest the Process step(s) may take: one job, or the array job's children in waves of at most
 * CONCURRENT_SHARDS and then the merge job; each within the job timeout after its attempts that failed to start.
 */
export function processingStepsTimeout(shards: number): Duration {
  const job = PROCESSING_JOB_TIMEOUT.toSeconds() + (PROCESSING_JOB_ATTEMPTS - 1) * START_FAILURE_ALLOWANCE.toSeconds();
  if (shards === 1) return Duration.seconds(job);
  const waves = Math.ceil(shards / Math.min(shards, CONCURRENT_SHARDS));
  return Duration.seconds(job * (waves + 1));
}

/** Fargate's valid memory sizes (MiB) for each vCPU value: [min, max, step]. */
const FARGATE_MEMORY: Record<number, [number, number, number]> = {
  0.25: [512, 2048, 1024],
  0.5: [1024, 4096, 1024],
  1: [2048, 8192, 1024],
  2: [4096, 16384, 1024],
  4: [8192, 30720, 1024],
  8: [16384, 61440, 4096],
  16: [32768, 122880, 8192],
};

/** Problems of `training.processing`'s size: Fargate runs only some vCPU/memory pairs. */
export function fargateSizeProblems(vcpus: number, memoryMiB: number): string[] {
  const range = FARGATE_MEMORY[vcpus];
  if (!range) return [`training.processing.vcpus must be one of ${Object.keys(FARGATE_MEMORY).join(', ')} on Fargate, got: ${vcpus}`];
  const [min, max, step] = range;
  if (memoryMiB < min || memoryMiB > max || memoryMiB % step !== 0) {
    return [`training.processing.memoryMiB for ${vcpus} vCPU must be ${min}-${max} in steps of ${step} on Fargate, got: ${memoryMiB}`];
  }
  return [];
}

/** Where the processing job runs. */
export interface ProcessingJobProps {
  /** The team config, passed whole to the job (TEAM_CONFIG, docs/container-contract.md). */
  readonly config: TeamConfig;
  readonly artifactStore: IArtifactStore;
  readonly vpc: ec2.IVpc;
  /** @default - the default subnets of `vpc` for Batch */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default - a security group with outbound traffic only */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * The Process step's job: AWS Batch on Fargate, the built-in processing image or the team's
 * `training.processing.container`, with a role that reads the dataset and writes the run's processed splits. Its
 * constructs are created in `scope` (the TrainingPipeline).
 */
export function createProcessingJob(scope: Construct, props: ProcessingJobProps): { definition: batch.EcsJobDefinition; queue: batch.JobQueue } {
  const { config, artifactStore } = props;
  const spec = TRAINING_PIPELINE_SPEC.processing;
  const team = config.training.processing.container;
  const image = team
    ? PipelineImage.fromContainerSpec(scope, 'ProcessingImage', team)
    : PipelineImage.builtIn(scope, 'ProcessingImage', spec.dockerfile);
  const jobRole = new iam.Role(scope, 'ProcessingJobRole', {
    assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
    description: `Processing job of ${config.model.name}: reads the dataset, writes the processed splits`,
  });
  grantDatasetRead(scope, artifactStore, jobRole, config.training.datasetUri);
  // The built-in image writes each artifact once (If-None-Match: *, pipelines/processing/run-artifact.ts), so its
  // role may never replace an object under runs/*/processed/, another run's included. A team's image is not held to
  // a header it was not written for: its role may replace objects there (docs/architecture.md, write scope).
  if (team) artifactStore.grantWrite(jobRole, processedPrefix('*'));
  else artifactStore.grantWriteOnce(jobRole, processedPrefix('*'));
  const logGroup = encryptedLogGroup(scope, 'ProcessingLogs', { retention: logs.RetentionDays.THREE_MONTHS });
  const definition = new batch.EcsJobDefinition(scope, 'ProcessingJob', {
    container: new batch.EcsFargateContainerDefinition(scope, 'ProcessingContainer', {
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
    retryAttempts: PROCESSING_JOB_ATTEMPTS,
    retryStrategies: PROCESSING_RETRY_STRATEGIES,
  });
  acknowledge(
    definition.container.executionRole,
    'AwsSolutions-IAM5[Resource::*]',
    'ecr:GetAuthorizationToken (pulling the processing image) supports no resource-level permissions; the pull itself is limited to the image repository.',
  );
  const computeEnvironment = new batch.FargateComputeEnvironment(scope, 'ProcessingCompute', {
    vpc: props.vpc,
    vpcSubnets: props.vpcSubnets,
    securityGroups: props.securityGroups,
    // Two jobs at once, or up to CONCURRENT_SHARDS children of a sharded run's array job at once.
    maxvCpus: Math.max(4, config.training.processing.vcpus * Math.min(Math.max(2, config.training.processing.shards), CONCURRENT_SHARDS)),
  });
  const queue = new batch.JobQueue(scope, 'ProcessingQueue', { computeEnvironments: [{ computeEnvironment, order: 1 }] });
  return { definition, queue };
}

/** The configured dataset: a prefix of the artifact store, or an s3:// URI of another bucket. */
function grantDatasetRead(scope: Construct, artifactStore: IArtifactStore, role: iam.Role, datasetUri: string): void {
  // Runs may name another dataset under datasets/ in their input.
  artifactStore.grantRead(role, 'datasets/');
  if (!datasetUri.startsWith('s3://')) {
    if (!datasetUri.startsWith('datasets/')) artifactStore.grantRead(role, datasetUri);
    return;
  }
  const { bucket, key } = parseS3Uri(datasetUri);
  const bucketArn = Stack.of(scope).formatArn({ service: 's3', region: '', account: '', resource: bucket });
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
