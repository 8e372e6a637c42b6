import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ArtifactStore } from './artifact-store';
import { ModelRegistry } from './model-registry';
import { TrainingPipeline } from './training-pipeline';
import type { TeamConfig } from './team-config';

export interface MlopsTeamStackProps extends StackProps {
  /** The validated team config (lib/team-config.ts); everything in the stack is derived from it. */
  readonly config: TeamConfig;
}

/** One team's MLOps platform, composed from its config. Outputs are found by id (never by logical id). */
export class MlopsTeamStack extends Stack {
  readonly artifactStore: ArtifactStore;
  readonly registry: ModelRegistry;
  readonly trainingPipeline: TrainingPipeline;

  constructor(scope: Construct, id: string, props: MlopsTeamStackProps) {
    super(scope, id, {
      description: `MLOps platform of team ${props.config.team}: training pipeline, model registry, deployment, inference, drift monitoring`,
      ...props,
    });
    const { config } = props;
    const metricsNamespace = `MLOps/${config.team}`;

    this.artifactStore = new ArtifactStore(this, 'ArtifactStore');
    this.registry = new ModelRegistry(this, 'Registry', {
      metricsNamespace,
      eventBusName: `mlops-${config.team}`,
      mirrorToSageMakerModel: config.deployment.mirrorToSageMaker ? config.model.name : undefined,
    });

    this.trainingPipeline = new TrainingPipeline(this, 'TrainingPipeline', {
      config,
      artifactStore: this.artifactStore,
      registry: this.registry,
      metricsNamespace,
    });

    new CfnOutput(this, 'TrainingStateMachineArn', { value: this.trainingPipeline.stateMachine.stateMachineArn });
    new CfnOutput(this, 'ArtifactBucketName', { value: this.artifactStore.bucket.bucketName });
    new CfnOutput(this, 'RegistryTableName', { value: this.registry.table.tableName });
    new CfnOutput(this, 'EventBusName', { value: this.registry.eventBus.eventBusName });
  }
}
