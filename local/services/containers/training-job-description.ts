import type { Environment } from '../../assembly/resource-identity';
import type { TrainingJobRequest } from './training-job-request';

export type TrainingJobStatus = 'Completed' | 'Failed' | 'Stopped';
export type SecondaryStatus = 'Completed' | 'Failed' | 'Stopped' | 'MaxRuntimeExceeded';

/** When a job was created and when its containers started (undefined while it was still downloading its input). */
export interface TrainingJobTimes {
  readonly created: Date;
  readonly trainingStarted?: Date;
}

/**
 * What DescribeTrainingJob answers for a job that ended, which is also the `.sync` task's output (or its failure
 * cause). Billable time is the training time: the twin neither waits for spot capacity nor gets interrupted.
 */
export function describeTrainingJob(
  request: TrainingJobRequest,
  env: Environment,
  times: TrainingJobTimes,
  end: { status: TrainingJobStatus; secondaryStatus: SecondaryStatus } & Record<string, unknown>,
): Record<string, unknown> {
  const { status, secondaryStatus, ...extra } = end;
  const ended = new Date();
  const seconds = times.trainingStarted ? Math.max(1, Math.ceil((ended.getTime() - times.trainingStarted.getTime()) / 1000)) : 0;
  return {
    TrainingJobName: request.TrainingJobName,
    TrainingJobArn: `arn:${env.partition}:sagemaker:${env.region}:${env.accountId}:training-job/${request.TrainingJobName.toLowerCase()}`,
    TrainingJobStatus: status,
    SecondaryStatus: secondaryStatus,
    AlgorithmSpecification: request.AlgorithmSpecification,
    HyperParameters: request.HyperParameters,
    InputDataConfig: request.InputDataConfig,
    OutputDataConfig: request.OutputDataConfig,
    ResourceConfig: request.ResourceConfig,
    StoppingCondition: request.StoppingCondition,
    Environment: request.Environment,
    EnableManagedSpotTraining: request.EnableManagedSpotTraining,
    ...(request.CheckpointConfig ? { CheckpointConfig: request.CheckpointConfig } : {}),
    RoleArn: request.RoleArn,
    CreationTime: times.created.toISOString(),
    TrainingStartTime: (times.trainingStarted ?? times.created).toISOString(),
    TrainingEndTime: ended.toISOString(),
    LastModifiedTime: ended.toISOString(),
    TrainingTimeInSeconds: seconds,
    BillableTimeInSeconds: seconds,
    ...extra,
  };
}
