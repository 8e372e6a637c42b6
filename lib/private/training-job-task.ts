import type { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

/** Managed spot training: SageMaker waits for spot capacity and keeps the container's checkpoints in S3. */
export interface SpotTraining {
  /** Longest wait for capacity plus training time (StoppingCondition.MaxWaitTimeInSeconds). */
  readonly maxWait: Duration;
  /** CheckpointConfig.S3Uri, usually a JSONPath into the state (`sfn.JsonPath.stringAt('$.checkpointUri')`). */
  readonly checkpointS3Uri: string;
  /** CheckpointConfig.LocalPath inside the container. */
  readonly checkpointLocalPath: string;
}

export interface TrainingJobTaskProps extends tasks.SageMakerCreateTrainingJobProps {
  /** AlgorithmSpecification.ContainerEntrypoint. @default - the image's ENTRYPOINT, started with the argument `train` */
  readonly containerEntrypoint?: string[];
  /** AlgorithmSpecification.ContainerArguments (arguments of `containerEntrypoint`). @default - none */
  readonly containerArguments?: string[];
  /** @default - on-demand instances, no checkpoints */
  readonly spot?: SpotTraining;
}

/**
 * `SageMakerCreateTrainingJob` plus the CreateTrainingJob fields aws-cdk-lib 2.276 has no props for: the container's
 * entry point and arguments, managed spot training and its checkpoint location. The L2 renders its Parameters in
 * `_renderTask`; this adds the fields to that rendering. Extending the L2 (rather than a CustomState) keeps what it
 * does right: the `.sync` integration, iam:PassRole of the training role, the image, S3 and KMS grants. The training
 * role's access to the checkpoint prefix is the caller's to grant, scoped to it.
 */
export class TrainingJobTask extends tasks.SageMakerCreateTrainingJob {
  private readonly additions: Pick<TrainingJobTaskProps, 'containerEntrypoint' | 'containerArguments' | 'spot'>;

  constructor(scope: Construct, id: string, props: TrainingJobTaskProps) {
    super(scope, id, props);
    this.additions = { containerEntrypoint: props.containerEntrypoint, containerArguments: props.containerArguments, spot: props.spot };
  }

  /* eslint-disable @typescript-eslint/no-explicit-any -- `any` is the L2's own signature: the rendered state is untyped JSON */
  protected override _renderTask(topLevelQueryLanguage?: sfn.QueryLanguage): any {
    const rendered = super._renderTask(topLevelQueryLanguage);
    const parameters: Record<string, any> | undefined = rendered.Parameters;
    if (!parameters) throw new Error(`${this.node.path}: TrainingJobTask renders JSONPath Parameters only, not JSONata Arguments`);
    const { containerEntrypoint, containerArguments, spot } = this.additions;
    if (containerEntrypoint?.length) parameters.AlgorithmSpecification.ContainerEntrypoint = containerEntrypoint;
    if (containerArguments?.length) parameters.AlgorithmSpecification.ContainerArguments = containerArguments;
    if (spot) {
      parameters.EnableManagedSpotTraining = true;
      parameters.StoppingCondition.MaxWaitTimeInSeconds = spot.maxWait.toSeconds();
      parameters.CheckpointConfig = sfn.FieldUtils.renderObject({ S3Uri: spot.checkpointS3Uri, LocalPath: spot.checkpointLocalPath });
    }
    return rendered;
  }
  /* eslint-enable @typescript-eslint/no-explicit-any */
}
