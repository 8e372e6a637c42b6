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
  it('splits a drift window into chunks of drift.chunkMiB, summarized drift.maxConcurrency at once', () => {
    // GIVEN chunks of 16 MiB, 25 at once
    const template = teamTemplate({ drift: { chunkMiB: 16, maxConcurrency: 25 } });
    // THEN the drift functions split windows at 16 MiB and the Distributed Map runs 25 children at once
    template.hasResourceProperties('AWS::Lambda::Function', driftConfigWith(16 * 1024 * 1024));
    expect(stateMachineDefinition(template, 'DriftMonitorStateMachine').States.SummarizeChunks.MaxConcurrency).toBe(25);
  });

  it('scores scoring.maxConcurrency chunks of a batch scoring run at once', () => {
    const template = teamTemplate({ scoring: { maxConcurrency: 40 } });
    expect(stateMachineDefinition(template, 'BatchScoringStateMachine').States.ScoreChunks.MaxConcurrency).toBe(40);
  });

  it('defaults to chunks of 64 MiB and 10 at once, for drift runs and batch scoring alike', () => {
    const template = teamTemplate({});
    template.hasResourceProperties('AWS::Lambda::Function', driftConfigWith(64 * 1024 * 1024));
    expect(stateMachineDefinition(template, 'DriftMonitorStateMachine').States.SummarizeChunks.MaxConcurrency).toBe(10);
    expect(stateMachineDefinition(template, 'BatchScoringStateMachine').States.ScoreChunks.MaxConcurrency).toBe(10);
  });
});
