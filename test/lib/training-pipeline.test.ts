import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { App, AssetStaging, Stack, type Environment } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArtifactStore } from '../../lib/artifact-store';
import { ModelRegistry } from '../../lib/model-registry';
import { REPO_ROOT } from '../../lib/private/mlops-function';
import { parseTeamConfig, type TeamConfig, type TeamConfigInput } from '../../contracts/team-config';
import { TrainingPipeline, type TrainingPipelineProps } from '../../lib/training-pipeline';
import { exampleConfig } from '../helpers/synth';
import { projectContext } from '../helpers/project-context';
import { actionsOf, identityStatements, type PolicyStatementJson } from './monitoring/iam';
import { stateMachineDefinition } from './state-definition';

/** Function code is not bundled: these tests read the template and the state machine, not the functions' code. */
function pipelineStack(config = exampleConfig(), env?: Environment, props: Partial<TrainingPipelineProps> = {}) {
  const app = new App({ context: { ...projectContext(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test', { env });
  const artifactStore = new ArtifactStore(stack, 'Artifacts');
  const registry = new ModelRegistry(stack, 'Registry', { metricsNamespace: 'MLOps/fraud' });
  const pipeline = new TrainingPipeline(stack, 'Pipeline', { config, artifactStore, registry, metricsNamespace: 'MLOps/fraud', ...props });
  return { stack, pipeline };
}

/** The worked example's team (multiclass, a training container from examples/maintenance/trainer, spot). */
const MAINTENANCE_TEAM = join(REPO_ROOT, 'pipelines', 'teams', 'maintenance.json');
function maintenanceConfig(training: Record<string, unknown> = {}): TeamConfig {
  const raw = JSON.parse(readFileSync(MAINTENANCE_TEAM, 'utf8')) as TeamConfigInput & { training: Record<string, unknown> };
  return parseTeamConfig({ ...raw, training: { ...raw.training, ...training } });
}

/**
 * Object access of the training role, one `<action> on <key pattern>` per pair (statements are minimized as
 * `cdk synth` writes them, so one statement may carry several actions and resources).
 */
function trainingRoleObjectAccess(template: Template): string[] {
  return identityStatements(template, 'PipelineTrainingRole')
    .filter((statement) => actionsOf(statement).some((action) => action.startsWith('s3:')) && statement.Condition === undefined)
    .flatMap((statement: PolicyStatementJson) => {
      const resources = (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]) as Array<{ 'Fn::Join'?: [string, unknown[]] }>;
      const keys = resources.filter((r) => r['Fn::Join']).map((r) => String(r['Fn::Join']![1].at(-1)));
      return actionsOf(statement).flatMap((action) => keys.map((key) => `${action} on ${key}`));
    })
    .sort();
}

/** The bucket policy's denials of writes without If-None-Match, as `<principal logical id prefix> on <key pattern>`. */
function writeOnceDenials(template: Template): string[] {
  const policies = Object.values(template.findResources('AWS::S3::BucketPolicy')) as { Properties: { PolicyDocument: { Statement: any[] } } }[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  return policies
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
    .filter((statement) => statement.Effect === 'Deny' && statement.Condition?.Null?.['s3:if-none-match'] === 'true')
    .map((statement) => `${String(statement.Principal.AWS['Fn::GetAtt'][0]).replace(/[0-9A-F]{8}$/, '')} on ${statement.Resource['Fn::Join'][1][1]}`);
}

describe('TrainingPipeline', () => {
  let template: Template;
  let definition: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  let stack: Stack;
  beforeAll(() => {
    ({ stack } = pipelineStack());
    template = Template.fromStack(stack);
    definition = stateMachineDefinition(template, 'PipelineStateMachine');
  });

  it('runs Process -> Train -> Evaluate -> gate -> Register, with RecordFailure on every task', () => {
    const states = definition.States;
    expect(states.Process.Resource).toMatch(/:states:::batch:submitJob\.sync$/);
    expect(states.Train.Resource).toMatch(/:states:::sagemaker:createTrainingJob\.sync$/);
    expect(states.Train.Next).toBe('Evaluate');
    expect(states['PassedGate?'].Choices[0]).toMatchObject({ Variable: '$.evaluation.gate.passed', BooleanEquals: true, Next: 'Register' });
    for (const name of ['Process', 'Train', 'Evaluate', 'Register']) {
      expect(states[name].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' }]);
    }
    expect(states.RecordFailure.Next).toBe('RunFailed');
  });

  it('trains with network isolation, the artifact key on volume and output, and its own role', () => {
    const train = definition.States.Train.Parameters;
    const key = stack.resolve((stack.node.findChild('Artifacts') as ArtifactStore).encryptionKey.keyArn);
    const role = stack.resolve((stack.node.findChild('Pipeline') as TrainingPipeline).trainingRole.roleArn);
    expect(train.EnableNetworkIsolation).toBe(true);
    // The definition was rendered with placeholder ARNs: compare against the same rendering of the tokens.
    expect(train.ResourceConfig.VolumeKmsKeyId).toContain(key['Fn::GetAtt'][0]);
    expect(train.OutputDataConfig.KmsKeyId).toContain(key['Fn::GetAtt'][0]);
    expect(train.RoleArn).toContain(role['Fn::GetAtt'][0]);
    expect(train['TrainingJobName.$']).toBe('$.executionName');
    expect(train.HyperParameters).toMatchObject({ algorithm: 'gradient-boosting', trees: '60' });
    expect(train.InputDataConfig.map((c: { ChannelName: string }) => c.ChannelName)).toEqual(['train', 'validation']);
    expect(train.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 120 * 60 });
  });

  it('trains with the built-in trainer image and its algorithm when the team brings no container, on demand', () => {
    const train = definition.States.Train.Parameters;
    const trainer = (stack.node.findChild('Pipeline') as TrainingPipeline).node.findChild('TrainerImage') as DockerImageAsset;
    expect((trainer.node.findChild('Staging') as AssetStaging).sourcePath).toBe(REPO_ROOT);
    expect(train.AlgorithmSpecification).toEqual({ TrainingImage: expect.stringMatching(new RegExp(`:${trainer.imageTag}$`)), TrainingInputMode: 'File' });
    expect(train.ResourceConfig.InstanceCount).toBe(1);
    for (const absent of ['EnableManagedSpotTraining', 'CheckpointConfig', 'Environment']) expect(train[absent]).toBeUndefined();
    expect(definition.States.Initialize.Parameters['checkpointUri.$']).toBeUndefined();
    expect(definition.States.Register.Parameters.codeVersion).toBe(trainer.assetHash);
    expect(trainingRoleObjectAccess(template).some((access) => access.includes('checkpoints'))).toBe(false);
  });

  it('reads the dataset lineage in Evaluate and registers the dataset URI and sha256 from it', () => {
    const states = definition.States;
    expect(states.Initialize.Parameters['datasetLineageUri.$']).toMatch(
      /^States\.Format\('s3:\/\/.+\/runs\/\{\}\/processed\/dataset\.json', \$\.executionName\)$/,
    );
    expect(states.Evaluate.Parameters['datasetLineageUri.$']).toBe('$.datasetLineageUri');
    expect(states.Register.Parameters).toMatchObject({
      'datasetUri.$': '$.evaluation.dataset.uri',
      'datasetSha256.$': '$.evaluation.dataset.sha256',
    });
  });

  it('never retries the training job, and retries Lambda steps on transient errors only', () => {
    expect(definition.States.Train.Retry).toBeUndefined();
    for (const name of ['Evaluate', 'Register', 'RecordFailure']) {
      const errors = definition.States[name].Retry.flatMap((r: { ErrorEquals: string[] }) => r.ErrorEquals);
      expect(errors).toContain('Lambda.TooManyRequestsException');
      expect(errors).not.toContain('States.ALL');
      expect(errors).not.toContain('States.TaskFailed');
    }
  });

  it("refuses the built-in processing image's role any write under runs/*/processed/ that could replace an object", () => {
    expect(writeOnceDenials(template)).toEqual(['PipelineProcessingJobRole on /runs/*/processed/*']);
  });

  it('gives the SageMaker role prefix-scoped S3 access and no managed policy', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'sagemaker.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
    });
    expect(trainingRoleObjectAccess(template)).toEqual([
      's3:AbortMultipartUpload on /runs/*/model/*',
      's3:GetObject on /runs/*/processed/*',
      's3:GetObjectVersion on /runs/*/processed/*',
      's3:PutObject on /runs/*/model/*',
    ]);
  });

  it('passes the evaluation config and the onnxruntime layer to Evaluate', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          EVALUATION_CONFIG: JSON.stringify({ task: 'binary-classification', primaryMetric: 'auc', threshold: 0.8, championMargin: 0.002, autoApprove: false }),
        }),
      },
      Layers: [Match.anyValue()],
    });
  });

  it('starts scheduled runs from training.schedule with trigger "schedule"', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(7 days)',
      Targets: [Match.objectLike({ Input: JSON.stringify({ trigger: 'schedule', reason: 'schedule rate(7 days)' }), DeadLetterConfig: Match.anyValue() })],
    });
  });

  it('logs every execution and traces it', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
    });
  });
});

describe('TrainingPipeline with a team training container built from a directory, on 2 spot instances', () => {
  const PROCESSING_IMAGE = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/maintenance/processing:2.0';
  const config = maintenanceConfig({
    container: {
      directory: 'examples/maintenance/trainer',
      entryPoint: ['python3', '/opt/program/train.py'],
      command: ['train', '--log-every', '5'],
      environment: { OMP_NUM_THREADS: '2' },
    },
    instanceCount: 2,
    spot: { maxWaitMinutes: 240 },
    processing: { vcpus: 1, memoryMiB: 2048, container: { imageUri: PROCESSING_IMAGE, command: ['process'], environment: { LOG_LEVEL: 'debug' } } },
  });
  let stack: Stack;
  let template: Template;
  let definition: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  let pipeline: TrainingPipeline;
  beforeAll(() => {
    ({ stack, pipeline } = pipelineStack(config));
    template = Template.fromStack(stack);
    definition = stateMachineDefinition(template, 'PipelineStateMachine');
  });

  it("builds the team's Dockerfile directory, relative to the repository root, and trains with that image", () => {
    const image = pipeline.node.findChild('TrainerImage') as DockerImageAsset;
    expect((image.node.findChild('Staging') as AssetStaging).sourcePath).toBe(resolve(REPO_ROOT, 'examples/maintenance/trainer'));
    expect(definition.States.Train.Parameters.AlgorithmSpecification.TrainingImage).toMatch(new RegExp(`:${image.imageTag}$`));
    expect(definition.States.Register.Parameters.codeVersion).toBe(image.assetHash);
  });

  it('starts the entry point with the arguments and environment of training.container', () => {
    const train = definition.States.Train.Parameters;
    expect(train.AlgorithmSpecification).toMatchObject({
      ContainerEntrypoint: ['python3', '/opt/program/train.py'],
      ContainerArguments: ['train', '--log-every', '5'],
    });
    expect(train.Environment).toEqual({ OMP_NUM_THREADS: '2' });
  });

  it('passes task, label, features, classes and the team hyperparameters as strings, without algorithm', () => {
    expect(definition.States.Train.Parameters.HyperParameters).toEqual({
      seed: '42',
      epochs: '30',
      hidden: '32',
      learningRate: '0.01',
      task: 'multiclass-classification',
      label: 'fault',
      features: JSON.stringify(config.model.features),
      classes: JSON.stringify(['normal', 'bearing_wear', 'imbalance', 'misalignment']),
    });
  });

  it('runs instanceCount instances, every one fed every row of each channel', () => {
    const train = definition.States.Train.Parameters;
    expect(train.ResourceConfig.InstanceCount).toBe(2);
    for (const channel of train.InputDataConfig) expect(channel.DataSource.S3DataSource.S3DataDistributionType).toBe('FullyReplicated');
  });

  it("trains on spot capacity with checkpoints under the run's S3 prefix", () => {
    const train = definition.States.Train.Parameters;
    expect(train.EnableManagedSpotTraining).toBe(true);
    expect(train.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 120 * 60, MaxWaitTimeInSeconds: 240 * 60 });
    expect(train.CheckpointConfig).toEqual({ 'S3Uri.$': '$.checkpointUri', LocalPath: '/opt/ml/checkpoints' });
    expect(definition.States.Initialize.Parameters['checkpointUri.$']).toMatch(/^States\.Format\('s3:\/\/.+\/runs\/\{\}\/checkpoints\/', \$\.executionName\)$/);
  });

  it('gives the run longer than its processing job and its spot training job may take', () => {
    // The training job may wait for spot capacity up to MaxWaitTimeInSeconds, which counts its runtime too.
    const [jobDefinition] = Object.values(template.findResources('AWS::Batch::JobDefinition')) as { Properties: { Timeout: { AttemptDurationSeconds: number } } }[];
    const processing = jobDefinition.Properties.Timeout.AttemptDurationSeconds;
    const training = definition.States.Train.Parameters.StoppingCondition.MaxWaitTimeInSeconds;
    expect(processing + training).toBe(2 * 3600 + 240 * 60);
    expect(definition.TimeoutSeconds).toBeGreaterThan(processing + training);
  });

  it('lets the training role read and write the checkpoint prefix and no other new one', () => {
    expect(trainingRoleObjectAccess(template)).toEqual([
      's3:AbortMultipartUpload on /runs/*/checkpoints/*',
      's3:AbortMultipartUpload on /runs/*/model/*',
      's3:GetObject on /runs/*/checkpoints/*',
      's3:GetObject on /runs/*/processed/*',
      's3:GetObjectVersion on /runs/*/checkpoints/*',
      's3:GetObjectVersion on /runs/*/processed/*',
      's3:PutObject on /runs/*/checkpoints/*',
      's3:PutObject on /runs/*/model/*',
    ]);
  });

  it("does not hold a team's processing image to conditional writes it was not written for", () => {
    expect(writeOnceDenials(template)).toEqual([]);
  });

  it('runs the processing job with the image, command and environment of training.processing.container', () => {
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({
        Image: PROCESSING_IMAGE,
        Command: ['process'],
        Environment: Match.arrayWith([
          { Name: 'LOG_LEVEL', Value: 'debug' },
          { Name: 'TEAM_CONFIG', Value: JSON.stringify(config) },
          { Name: 'SPLIT_SEED', Value: '42' },
        ]),
      }),
    });
    expect(definition.States.Process.Parameters.ContainerOverrides.Environment).toEqual([
      { Name: 'INPUT_URI', 'Value.$': '$.input.datasetUri' },
      { Name: 'OUTPUT_URI', 'Value.$': '$.processedUri' },
    ]);
    expect(pipeline.node.tryFindChild('ProcessingImage')).toBeUndefined(); // the built-in image is not built
  });

  it("lets the processing job's execution role pull from the image's repository, named exactly", () => {
    const pulls = identityStatements(template, 'PipelineProcessingContainerExecutionRole').filter((s) => actionsOf(s).includes('ecr:BatchGetImage'));
    expect(pulls).toEqual([
      expect.objectContaining({ Resource: 'arn:aws:ecr:eu-west-1:111122223333:repository/maintenance/processing' }),
    ]);
  });

  it('gives the Evaluate step the classes with the evaluation config', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          EVALUATION_CONFIG: JSON.stringify({ task: 'multiclass-classification', ...config.evaluation, classes: config.model.classes }),
        }),
      },
    });
  });
});

describe('TrainingPipeline with a team training image by URI', () => {
  const IMAGE = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0-cpu-py310-ubuntu20.04-sagemaker';
  let template: Template;
  let definition: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  beforeAll(() => {
    const { stack } = pipelineStack(maintenanceConfig({ container: { imageUri: IMAGE } }));
    template = Template.fromStack(stack);
    definition = stateMachineDefinition(template, 'PipelineStateMachine');
  });

  it("trains with the image as written, started the image's own way, and records the URI as the code version", () => {
    expect(definition.States.Train.Parameters.AlgorithmSpecification).toEqual({ TrainingImage: IMAGE, TrainingInputMode: 'File' });
    expect(definition.States.Register.Parameters.codeVersion).toBe(IMAGE);
  });

  it("lets the training role pull from the image's ECR repository, named exactly", () => {
    const pulls = identityStatements(template, 'PipelineTrainingRole').filter((s) => actionsOf(s).includes('ecr:BatchGetImage'));
    expect(pulls).toEqual([expect.objectContaining({ Resource: 'arn:aws:ecr:us-east-1:763104351884:repository/pytorch-training' })]);
  });
});

describe('TrainingPipeline validation', () => {
  it('rejects a processing size Fargate cannot run, naming the field and value', () => {
    const base = exampleConfig();
    const config = parseTeamConfig({ ...base, training: { ...base.training, processing: { vcpus: 1, memoryMiB: 512 } } });
    expect(() => pipelineStack(config)).toThrow(/training\.processing\.memoryMiB for 1 vCPU must be 2048-8192 in steps of 1024 on Fargate, got: 512/);
  });

  it('names training.container.directory when the directory does not exist or has no Dockerfile', () => {
    expect(() => pipelineStack(maintenanceConfig({ container: { directory: 'examples/maintenance/trainr' } }))).toThrow(
      /training\.container\.directory: "examples\/maintenance\/trainr" is not a directory .*relative to the directory of cdk\.json/,
    );
    expect(() => pipelineStack(maintenanceConfig({ container: { directory: 'examples/maintenance' } }))).toThrow(
      /training\.container\.directory: "examples\/maintenance" has no Dockerfile/,
    );
  });

  it("reports every problem of the team's containers at once, each naming its field", () => {
    const config = maintenanceConfig({
      container: { imageUri: 'docker.io/library/python:3.11', command: ['fit'], environment: { SM_MODEL_DIR: '/tmp/model' } },
      processing: {
        vcpus: 1,
        memoryMiB: 2048,
        container: { imageUri: 'ghcr.io/acme/prep:1', entryPoint: ['python3'], environment: { INPUT_URI: 's3://elsewhere/' } },
      },
    });
    let message = '';
    try {
      pipelineStack(config);
    } catch (err) {
      message = (err as Error).message;
    }
    const problems = message.split('\n').slice(1).map((line) => line.replace(/^\s+- /, '').split(':')[0]);
    expect(problems).toEqual([
      'training.container.imageUri',
      'training.container.command',
      'training.container.environment.SM_MODEL_DIR',
      'training.processing.container.imageUri',
      'training.processing.container.entryPoint',
      'training.processing.container.environment.INPUT_URI',
    ]);
    expect(message).toMatch(/SageMaker trains with images from Amazon ECR .*got "docker\.io\/library\/python:3\.11"/);
    expect(message).toMatch(/AWS Batch cannot override an image's ENTRYPOINT/);
  });

  it("refuses each variable the pipeline sets in a team's processing environment, the sharded run's two included", () => {
    const names = ['INPUT_URI', 'OUTPUT_URI', 'TEAM_CONFIG', 'SPLIT_SEED', 'PROCESSING_STEP', 'PROCESSING_SHARDS'];
    const image = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/prep:1';
    const environment = Object.fromEntries([...names, 'TEAM_OWN'].map((name) => [name, 'x']));
    const config = maintenanceConfig({ processing: { vcpus: 1, memoryMiB: 2048, container: { imageUri: image, environment } } });
    expect(() => pipelineStack(config, { account: '123456789012', region: 'eu-west-1' })).toThrow(
      names.map((name) => `training.processing.container.environment.${name}: is set by the pipeline for every run (docs/container-contract.md)`).join('\n  - '),
    );
  });

  it("refuses a processing image of another region's ECR when the job runs in the pipeline's own network", () => {
    const image = '111122223333.dkr.ecr.us-east-1.amazonaws.com/maintenance/processing:2.0';
    const config = maintenanceConfig({ processing: { vcpus: 1, memoryMiB: 2048, container: { imageUri: image } } });
    expect(() => pipelineStack(config, { account: '111122223333', region: 'eu-west-1' })).toThrow(
      `training.processing.container.imageUri: the processing job's network has no internet route, only endpoints for Amazon ECR in eu-west-1; push the image there or give training.vpc, got "${image}"`,
    );
  });

  it('reports every bad prop in one error: a Fargate size, trainingInVpc without vpc and a reserved hyperparameter', () => {
    // GIVEN
    const config = maintenanceConfig({ processing: { vcpus: 3, memoryMiB: 2048 }, hyperparameters: { task: 'regression' } });
    // WHEN / THEN
    expect(() => pipelineStack(config, undefined, { trainingInVpc: true })).toThrow(
      new RegExp(
        [
          '^Test/Pipeline: invalid props:',
          '  - training\\.processing\\.vcpus must be one of .* on Fargate, got: 3',
          '  - trainingInVpc needs vpc: .*',
          '  - training\\.hyperparameters\\.task: is set from the team config$',
        ].join('\n'),
      ),
    );
  });

  it('refuses a team hyperparameter named like one the platform sets', () => {
    expect(() => pipelineStack(maintenanceConfig({ hyperparameters: { classes: '3' } }))).toThrow(
      /training\.hyperparameters\.classes: is set from the team config/,
    );
  });
});
