import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../lib/private/mlops-function';
import { loadTeamConfig } from '../../contracts/team-config';
import { synthTeamStack } from '../helpers/synth';
import { nagFindings } from './monitoring/nag';
import { definitionOf } from './state-definition';
import { iamWildcardProblems } from './team-stack-iam';

/**
 * The worked example's team (pipelines/teams/maintenance.json): multiclass, its own training container built from
 * examples/maintenance/trainer, managed spot training with checkpoints, the built-in processing job.
 */
describe('MlopsTeamStack (a team with its own training container on spot capacity)', () => {
  let template: Template;
  let findings: string[];
  beforeAll(() => {
    const synthesized = synthTeamStack(loadTeamConfig(join(REPO_ROOT, 'pipelines', 'teams', 'maintenance.json')));
    template = synthesized.template;
    findings = nagFindings(synthesized.app);
  });

  it('has no unacknowledged AwsSolutions or Serverless findings', () => {
    expect(findings).toEqual([]);
  });

  it('grants no "*" or "service:*" action, and Resource "*" only for actions without resource-level permissions', () => {
    expect(iamWildcardProblems(template)).toEqual([]);
  });

  it("trains the team's image on spot capacity in the training state machine", () => {
    const [training] = Object.entries(template.findResources('AWS::StepFunctions::StateMachine')).filter(([id]) => id.startsWith('TrainingPipeline'));
    const train = definitionOf(training[1] as never).States.Train.Parameters;
    expect(train.EnableManagedSpotTraining).toBe(true);
    expect(train.CheckpointConfig).toEqual({ 'S3Uri.$': '$.checkpointUri', LocalPath: '/opt/ml/checkpoints' });
    expect(train.HyperParameters.algorithm).toBeUndefined();
  });
});
