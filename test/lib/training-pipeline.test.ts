import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArtifactStore } from '../../lib/artifact-store';
import { ModelRegistry } from '../../lib/model-registry';
import { parseTeamConfig } from '../../lib/team-config';
import { TrainingPipeline } from '../../lib/training-pipeline';
import { exampleConfig } from '../helpers/synth';
import { stateMachineDefinition } from './state-definition';

function pipelineStack(config = exampleConfig()) {
  const stack = new Stack(new App(), 'Test');
  const artifactStore = new ArtifactStore(stack, 'Artifacts');
  const registry = new ModelRegistry(stack, 'Registry', { metricsNamespace: 'MLOps/fraud' });
  const pipeline = new TrainingPipeline(stack, 'Pipeline', { config, artifactStore, registry, metricsNamespace: 'MLOps/fraud' });
  return { stack, pipeline };
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

  it('gives the SageMaker role prefix-scoped S3 access and no managed policy', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'sagemaker.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^PipelineTrainingRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['s3:GetObject', 's3:GetObjectVersion'],
            Resource: { 'Fn::Join': ['', [Match.anyValue(), '/runs/*/processed/*']] },
          }),
          Match.objectLike({
            Action: ['s3:PutObject', 's3:AbortMultipartUpload'],
            Resource: { 'Fn::Join': ['', [Match.anyValue(), '/runs/*/model/*']] },
          }),
        ]),
      },
    });
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

describe('TrainingPipeline validation', () => {
  it('rejects a processing size Fargate cannot run, naming the field and value', () => {
    const base = exampleConfig();
    const config = parseTeamConfig({ ...base, training: { ...base.training, processing: { vcpus: 1, memoryMiB: 512 } } });
    expect(() => pipelineStack(config)).toThrow(/training\.processing\.memoryMiB for 1 vCPU must be 2048-8192 in steps of 1024 on Fargate, got: 512/);
  });
});
