import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { TeamConfigInput } from '../../contracts/team-config';
import { MlopsTeamStack } from '../../lib/mlops-team-stack';
import { exampleConfig } from '../helpers/synth';
import { projectContext } from '../helpers/project-context';
import { stateMachineDefinition } from './state-definition';

/** The team stack's template from the example config with `drift` and `scoring` fields overridden. */
function teamTemplate(overrides: { drift?: Partial<NonNullable<TeamConfigInput['drift']>>; scoring?: Partial<NonNullable<TeamConfigInput['scoring']>> }) {
  const base = exampleConfig();
  const app = new App({ context: { ...projectContext(), 'aws:cdk:bundling-stacks': [] } });
  const config = exampleConfig({ drift: { ...base.drift, ...overrides.drift }, scoring: { ...base.scoring, ...overrides.scoring } });
  return Template.fromStack(new MlopsTeamStack(app, 'Mlops-fraud', { config }));
}

const driftConfigWith = (bytesPerChunk: number) => ({
  Environment: { Variables: Match.objectLike({ DRIFT_CONFIG: Match.stringLikeRegexp(`"bytesPerChunk":${bytesPerChunk}[,}]`) }) },
});

describe('the team config sizes the fanned-out jobs', () => {
  it('splits a drift window into chunks of drift.chunkMiB, summarized drift.maxConcurrency at once by functions of drift.memoryMiB', () => {
    // GIVEN chunks of 16 MiB, 25 at once, in functions of 4 GiB
    const template = teamTemplate({ drift: { chunkMiB: 16, maxConcurrency: 25, memoryMiB: 4096 } });
    // THEN the drift functions split windows at 16 MiB and the Distributed Map runs 25 children at once
    template.hasResourceProperties('AWS::Lambda::Function', driftConfigWith(16 * 1024 * 1024));
    expect(stateMachineDefinition(template, 'DriftMonitorStateMachine').States.SummarizeChunks.MaxConcurrency).toBe(25);
    // AND the job, the chunk workers and the decide step have 4096 MB
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { ...driftConfigWith(16 * 1024 * 1024), MemorySize: 4096 }, 3);
  });

  it('scores scoring.maxConcurrency chunks of a batch scoring run at once', () => {
    const template = teamTemplate({ scoring: { maxConcurrency: 40 } });
    expect(stateMachineDefinition(template, 'BatchScoringStateMachine').States.ScoreChunks.MaxConcurrency).toBe(40);
  });

  it('defaults to chunks of 64 MiB and 10 at once, for drift runs and batch scoring alike, and drift functions of 2048 MB', () => {
    const template = teamTemplate({});
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { ...driftConfigWith(64 * 1024 * 1024), MemorySize: 2048 }, 3);
    expect(stateMachineDefinition(template, 'DriftMonitorStateMachine').States.SummarizeChunks.MaxConcurrency).toBe(10);
    expect(stateMachineDefinition(template, 'BatchScoringStateMachine').States.ScoreChunks.MaxConcurrency).toBe(10);
  });
});
