import { Match, Template } from 'aws-cdk-lib/assertions';
import { App, Stack } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTeamConfig, type TeamConfig } from '../../contracts/team-config';
import { ArtifactStore } from '../../lib/artifact-store';
import { ModelRegistry } from '../../lib/model-registry';
import { TrainingPipeline } from '../../lib/training-pipeline';
import { projectContext } from '../helpers/project-context';
import { exampleConfig } from '../helpers/synth';
import { stateMachineDefinition } from './state-definition';

function shardedConfig(processing: Record<string, unknown>): TeamConfig {
  const base = exampleConfig();
  return parseTeamConfig({ ...base, training: { ...base.training, processing: { ...base.training.processing, ...processing } } });
}

function pipelineStack(config: TeamConfig): Stack {
  const app = new App({ context: { ...projectContext(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test');
  const artifactStore = new ArtifactStore(stack, 'Artifacts');
  const registry = new ModelRegistry(stack, 'Registry', { metricsNamespace: 'MLOps/fraud' });
  new TrainingPipeline(stack, 'Pipeline', { config, artifactStore, registry, metricsNamespace: 'MLOps/fraud' });
  return stack;
}

describe('TrainingPipeline with training.processing.shards of 8', () => {
  let template: Template;
  let states: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  beforeAll(() => {
    template = Template.fromStack(pipelineStack(shardedConfig({ shards: 8 })));
    states = stateMachineDefinition(template, 'PipelineStateMachine').States;
  });

  it('runs Process as a Batch array job of 8 shard children, then MergeShards, then Train', () => {
    expect(states.Process).toMatchObject({
      Type: 'Task',
      Resource: expect.stringMatching(/:states:::batch:submitJob\.sync$/),
      Next: 'MergeShards',
      Parameters: expect.objectContaining({ JobName: 'process-shards', ArrayProperties: { Size: 8 } }),
    });
    const environment = (state: { Parameters: { ContainerOverrides: { Environment: { Name: string }[] } } }) =>
      Object.fromEntries(state.Parameters.ContainerOverrides.Environment.map((e: any) => [e.Name, e.Value ?? e['Value.$']])); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(environment(states.Process)).toEqual({
      INPUT_URI: '$.input.datasetUri',
      OUTPUT_URI: '$.processedUri',
      PROCESSING_STEP: 'shard',
      PROCESSING_SHARDS: '8',
    });
    expect(states.MergeShards).toMatchObject({ Resource: expect.stringMatching(/:states:::batch:submitJob\.sync$/), Next: 'Train' });
    expect(states.MergeShards.Parameters.ArrayProperties).toBeUndefined();
    expect(environment(states.MergeShards)).toEqual({
      INPUT_URI: '$.input.datasetUri',
      OUTPUT_URI: '$.processedUri',
      PROCESSING_STEP: 'merge',
      PROCESSING_SHARDS: '8',
    });
    // Same queue and job definition for both.
    expect(states.MergeShards.Parameters.JobDefinition).toEqual(states.Process.Parameters.JobDefinition);
    expect(states.MergeShards.Parameters.JobQueue).toEqual(states.Process.Parameters.JobQueue);
  });

  it('records a failed shard or merge as a failed run, and retries only Batch API faults', () => {
    for (const name of ['Process', 'MergeShards']) {
      expect(states[name].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' }]);
      expect(states[name].Retry).toEqual([expect.objectContaining({ ErrorEquals: ['Batch.AWSBatchException', 'Batch.ServerException', 'Batch.TooManyRequestsException'] })]);
    }
  });

  it('lets the compute environment run 8 children at once, and gives the run time for the array job and the merge', () => {
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', Match.objectLike({ ComputeResources: Match.objectLike({ MaxvCpus: 8 }) }));
    const sharded = stateMachineDefinition(template, 'PipelineStateMachine').TimeoutSeconds;
    const oneJob = stateMachineDefinition(Template.fromStack(pipelineStack(exampleConfig())), 'PipelineStateMachine').TimeoutSeconds;
    // One wave of 8 children, then the merge job: each the 2-hour attempt timeout after 2 attempts that failed to start.
    expect(sharded - oneJob).toBe(2 * 3600 + 2 * 15 * 60);
  });

  it("runs again a job or child whose task could not start, up to 3 attempts of 2 hours each, and nothing else", () => {
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      Timeout: { AttemptDurationSeconds: 2 * 3600 },
      RetryStrategy: {
        Attempts: 3,
        EvaluateOnExit: [
          { Action: 'RETRY', OnReason: 'CannotPullContainerError:*' },
          { Action: 'RETRY', OnStatusReason: 'ResourceInitializationError*' },
          { Action: 'RETRY', OnStatusReason: 'Task failed to start*' },
          { Action: 'RETRY', OnStatusReason: 'Timeout waiting for network interface provisioning*' },
          // A container that ran and failed is not run again: the last entry matches every other failure.
          { Action: 'EXIT', OnStatusReason: '*' },
        ],
      },
    });
  });
});

describe('TrainingPipeline without shards (the default)', () => {
  it('runs one Process job, no array and no merge', () => {
    const template = Template.fromStack(pipelineStack(exampleConfig()));
    const { States } = stateMachineDefinition(template, 'PipelineStateMachine');
    expect(States.Process.Parameters.ArrayProperties).toBeUndefined();
    expect(States.Process.Next).toBe('Train');
    expect(States.MergeShards).toBeUndefined();
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', Match.objectLike({ ComputeResources: Match.objectLike({ MaxvCpus: 4 }) }));
  });
});

describe('TrainingPipeline shards validation', () => {
  it("refuses shards with a team's processing container, naming the field", () => {
    const config = shardedConfig({ shards: 4, container: { imageUri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/prep:1' } });
    expect(() => pipelineStack(config)).toThrow(/training\.processing\.shards of 4 needs the built-in processing image/);
  });

  it('the team config refuses a shard count outside 1..10,000', () => {
    expect(() => shardedConfig({ shards: 0 })).toThrow(/training\.processing\.shards/);
    expect(() => shardedConfig({ shards: 2.5 })).toThrow(/training\.processing\.shards/);
  });
});
