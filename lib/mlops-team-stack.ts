import { Aspects, CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { ApprovalApi } from './approval-api';
import { ApprovalConsole } from './approval-console';
import { ArtifactStore } from './artifact-store';
import { BatchScoring } from './batch-scoring';
import { DeploymentFlow } from './deployment-flow';
import { DriftMonitor } from './drift-monitor';
import { EksInference } from './eks-inference';
import type { IInferenceTier } from './inference-tier';
import { LambdaInference } from './lambda-inference';
import { MlopsDashboard } from './mlops-dashboard';
import { ModelQuality } from './model-quality';
import { modelQualityProps } from './private/model-quality-props';
import { ModelRegistry } from './model-registry';
import { AlarmNotificationTopic } from './monitoring/alarm-actions';
import { OperationsAlarms } from './monitoring/operations-alarms';
import { nameDeadLetterAlarms } from './private/queues';
import { ShadowTest } from './shadow-test';
import { ServiceTrustConditions } from './private/service-trust';
import type { TeamConfig } from '../contracts/team-config';
import { TrainingPipeline } from './training-pipeline';

/** Props of `MlopsTeamStack`: the team config and the usual stack props. */
export interface MlopsTeamStackProps extends StackProps {
  /** The validated team config (contracts/team-config.ts); everything in the stack is derived from it. */
  readonly config: TeamConfig;
}

/**
 * One team's MLOps platform, composed from its config: artifact store, model registry with its approval API,
 * training pipeline, inference tier, deployment flow, drift monitoring, batch scoring and a dashboard. Tools find resources by the
 * stack's output ids (never by logical ids).
 *
 * The inference tier is `LambdaInference` or `EksInference` (`inference.kind`). Only the Lambda tier has a
 * DeploymentFlow: approving a version there starts the holdout check, canary and promotion of the function alias.
 * On EKS, approval records the decision and nothing rolls out by itself: the pods serve `inference.modelVersion`,
 * and a version goes live by setting it in the team config and deploying the stack (GitOps; a rolling update gated
 * by the readiness probe). The registry's `live` status is set by the deployment flow, so on EKS the drift job is
 * told the served version instead and compares traffic with that version's baseline.
 */
export class MlopsTeamStack extends Stack {
  /** The team's bucket and key: datasets, runs, models, captured traffic, drift reports. */
  readonly artifactStore: ArtifactStore;
  /** The model registry: versions, runs and the audit trail, with the team's event bus. */
  readonly registry: ModelRegistry;
  /** The HTTP API through which people and automation approve, reject, roll back and start runs. */
  readonly approvalApi: ApprovalApi;
  /** The approval console behind CloudFront; undefined when the API trusts an external issuer (it brings its own sign-in). */
  readonly approvalConsole?: ApprovalConsole;
  /** The training pipeline (process, train, evaluate, register). */
  readonly trainingPipeline: TrainingPipeline;
  /** The inference tier: LambdaInference or EksInference, by the config's `inference.kind`. */
  readonly inference: IInferenceTier;
  /** The deployment flow of the Lambda tier; undefined on EKS (see the class docs). */
  readonly deploymentFlow?: DeploymentFlow;
  /** The drift job, its alarms and the retraining they start. */
  readonly driftMonitor: DriftMonitor;
  /** The quality job (labels joined to captured predictions), its alarms and the retraining they start. */
  readonly modelQuality: ModelQuality;
  /** The team's CloudWatch dashboard. */
  readonly dashboard: MlopsDashboard;
  /** Batch scoring of datasets with the live or a named approved version (`mlops score`). */
  readonly batchScoring: BatchScoring;
  /** Shadow tests of pending versions against the live one (`mlops models shadow`); Lambda tier only. */
  readonly shadowTest?: ShadowTest;

  constructor(scope: Construct, id: string, props: MlopsTeamStackProps) {
    super(scope, id, {
      description: `MLOps platform of team ${props.config.team}: training pipeline, model registry, deployment, inference, drift monitoring`,
      ...props,
    });
    const { config } = props;
    const { team } = config;
    const modelName = config.model.name;
    const metricsNamespace = `MLOps/${team}`;

    this.artifactStore = new ArtifactStore(this, 'ArtifactStore', {
      modelName,
      // Captured traffic must outlive the drift window (in whole days, as S3 counts them); a month beyond it leaves room
      // to investigate.
      captureRetention: Duration.days(Math.ceil(config.drift.windowHours / 24) + 30),
      captureNoncurrentRetention: Duration.days(config.drift.captureNoncurrentRetentionDays),
    });
    this.registry = new ModelRegistry(this, 'Registry', {
      metricsNamespace,
      eventBusName: `mlops-${team}`,
      mirrorToSageMakerModel: config.deployment.mirrorToSageMaker ? modelName : undefined,
    });
    const { access } = config;
    this.approvalApi = new ApprovalApi(this, 'ApprovalApi', {
      registry: this.registry,
      metricsNamespace,
      modelName,
      approverGroup: access.approverGroup,
      operatorGroup: access.operatorGroup,
      developerGroup: access.developerGroup,
      rolesClaim: access.rolesClaim,
      allowSelfApproval: access.allowSelfApproval,
      automationRoles: access.automationRoles,
    });

    const vpc = config.training.vpc;
    this.trainingPipeline = new TrainingPipeline(this, 'TrainingPipeline', {
      config,
      artifactStore: this.artifactStore,
      registry: this.registry,
      metricsNamespace,
      ...(vpc
        ? {
            vpc: ec2.Vpc.fromVpcAttributes(this, 'TeamVpc', {
              vpcId: vpc.vpcId,
              availabilityZones: vpc.subnetIds.map((_, i) => Stack.of(this).availabilityZones[i % Stack.of(this).availabilityZones.length]),
              privateSubnetIds: vpc.subnetIds,
            }),
            securityGroups: vpc.securityGroupIds.map((sg, i) => ec2.SecurityGroup.fromSecurityGroupId(this, `TeamSecurityGroup${i}`, sg)),
            trainingInVpc: true,
          }
        : {}),
    });
    this.approvalApi.addTrainingPipeline(this.trainingPipeline);

    const alarmActions = AlarmNotificationTopic.strategyFor(this, 'AlarmNotifications', config.alarms.notifyEmail);
    const tierProps = {
      modelName,
      registry: this.registry,
      artifactStore: this.artifactStore,
      metricsNamespace,
      team,
      captureSamplePercent: config.inference.captureSamplePercent,
      latencyP99Ms: config.alarms.latencyP99Ms,
      errorRatePercent: config.alarms.errorRatePercent,
      alarmActions,
    };
    const { inference } = config;
    if (inference.kind === 'eks') {
      const eksInference = new EksInference(this, 'Inference', {
        ...tierProps,
        clusterName: inference.clusterName,
        kubectlRoleArn: inference.kubectlRoleArn,
        namespace: inference.namespace,
        minReplicas: inference.minReplicas,
        maxReplicas: inference.maxReplicas,
        cpu: inference.cpu,
        memory: inference.memory,
        modelVersion: inference.modelVersion,
      });
      this.inference = eksInference;
      new CfnOutput(this, 'InferenceServiceUrl', { value: eksInference.serviceUrl, description: 'In-cluster inference endpoint' });
    } else {
      const lambdaInference = new LambdaInference(this, 'Inference', {
        ...tierProps,
        memorySize: inference.memoryMiB,
        provisionedConcurrency: inference.provisionedConcurrency,
      });
      this.inference = lambdaInference;
      this.deploymentFlow = new DeploymentFlow(this, 'DeploymentFlow', {
        modelName,
        registry: this.registry,
        artifactStore: this.artifactStore,
        metricsNamespace,
        inferenceFunction: lambdaInference.function,
        inferenceAlias: lambdaInference.liveAlias,
        alarms: lambdaInference.alarms,
        // A canary that would raise the tier's warning is not promoted.
        canaryErrorRatePercent: config.alarms.errorRatePercent.warning ?? config.alarms.errorRatePercent.critical,
        canaryPercent: config.deployment.canaryPercent,
        canaryBake: Duration.minutes(config.deployment.canaryBakeMinutes),
        holdoutTolerance: config.deployment.holdoutTolerance,
      });
      this.approvalApi.addDeploymentControl(this.deploymentFlow);
      this.shadowTest = new ShadowTest(this, 'ShadowTest', {
        modelName,
        inferenceFunction: lambdaInference.function,
        registry: this.registry,
        artifactStore: this.artifactStore,
        metricsNamespace,
        memorySize: inference.memoryMiB,
      });
      new CfnOutput(this, 'DeploymentStateMachineArn', { value: this.deploymentFlow.stateMachine.stateMachineArn, description: 'Deployment flow' });
      new CfnOutput(this, 'DeploymentReleaseFunctionName', {
        value: this.deploymentFlow.steps.release.functionName,
        description: 'Rolls back an aborted deployment (mlops deployments abort)',
      });
      new CfnOutput(this, 'InferenceFunctionName', { value: lambdaInference.function.functionName, description: 'Inference function' });
      new CfnOutput(this, 'InferenceAliasName', { value: lambdaInference.liveAlias.aliasName, description: 'Alias serving traffic' });
      new CfnOutput(this, 'InferenceUrl', { value: lambdaInference.functionUrl.url, description: 'Inference endpoint (IAM auth)' });
    }

    this.driftMonitor = new DriftMonitor(this, 'DriftMonitor', {
      modelName,
      features: config.model.features,
      task: config.model.task,
      classes: config.model.classes,
      registry: this.registry,
      artifactStore: this.artifactStore,
      trainingPipeline: this.trainingPipeline.stateMachine,
      metricsNamespace,
      schedule: config.drift.schedule,
      windowHours: config.drift.windowHours,
      minSamples: config.drift.minSamples,
      psiThresholds: config.drift.psi,
      driftedFeatureShare: config.drift.driftedFeatureShare,
      retrainCooldownHours: config.drift.retrainCooldownHours,
      bytesPerChunk: config.drift.chunkMiB * 1024 * 1024,
      maxConcurrency: config.drift.maxConcurrency,
      memorySize: config.drift.memoryMiB,
      team,
      alarmActions,
      servedVersion: inference.kind === 'eks' ? inference.modelVersion : undefined,
    });
    this.modelQuality = new ModelQuality(this, 'ModelQuality', modelQualityProps(config, {
      registry: this.registry,
      artifactStore: this.artifactStore,
      trainingPipeline: this.trainingPipeline.stateMachine,
      metricsNamespace,
      alarmActions,
    }));
    this.modelQuality.acceptFeedback(this.approvalApi);
    this.batchScoring = new BatchScoring(this, 'BatchScoring', { modelName, registry: this.registry, artifactStore: this.artifactStore, metricsNamespace, schedules: config.scoring.schedules, maxConcurrency: config.scoring.maxConcurrency });
    const operationsAlarms = new OperationsAlarms(this, 'OperationsAlarms', {
      team,
      modelName,
      registry: this.registry,
      approvalApi: this.approvalApi,
      deploymentFlow: this.deploymentFlow && { stateMachine: this.deploymentFlow.stateMachine, rollbackFunction: this.deploymentFlow.steps.rollback },
      batchScoring: this.batchScoring,
      actions: alarmActions,
    });
    // Every dead-letter queue of the constructs above has an alarm; named and notified like the tiers' alarms.
    const deadLetterAlarms = nameDeadLetterAlarms(this, { team, model: modelName }, alarmActions);

    this.dashboard = new MlopsDashboard(this, 'Dashboard', {
      team,
      modelName,
      trainingPipeline: this.trainingPipeline.stateMachine,
      deploymentFlow: this.deploymentFlow?.stateMachine,
      inference: this.inference,
      driftMonitor: this.driftMonitor,
      modelQuality: this.modelQuality,
      registry: this.registry,
      operationsAlarms,
      deadLetterAlarms,
    });
    // Every role a service assumes is conditioned on this account (lib/private/service-trust.ts).
    Aspects.of(this).add(new ServiceTrustConditions());

    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    output('ModelName', modelName, 'The model this stack trains, deploys and monitors (the CLI refuses any other)');
    output('TrainingStateMachineArn', this.trainingPipeline.stateMachine.stateMachineArn, 'Training pipeline');
    output('ArtifactBucketName', this.artifactStore.bucket.bucketName, 'Artifact store bucket');
    output('RegistryTableName', this.registry.table.tableName, 'Model registry table');
    output('EventBusName', this.registry.eventBus.eventBusName, 'Team event bus (registry events)');
    output('ApprovalApiUrl', this.approvalApi.url, 'Approval API base URL');
    output('BatchScoringStateMachineArn', this.batchScoring.stateMachine.stateMachineArn, 'Batch scoring (mlops score)');
    if (this.approvalApi.userPool && this.approvalApi.userPoolClient) {
      output('UserPoolId', this.approvalApi.userPool.userPoolId, 'Cognito user pool of the approval API');
      output('UserPoolClientId', this.approvalApi.userPoolClient.userPoolClientId, 'Public client of the CLI (mlops login)');
      this.approvalConsole = new ApprovalConsole(this, 'ApprovalConsole', { approvalApi: this.approvalApi, domainPrefix: `mlops-${team}-${this.account}` });
      output('ConsoleUrl', this.approvalConsole.url, 'Approval console (Cognito sign-in)');
      output('SignInUrl', this.approvalConsole.domain.baseUrl(), 'Cognito hosted sign-in of the console and of mlops login');
    }
  }
}
