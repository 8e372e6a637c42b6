import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MlopsTeamStack } from '../../lib/mlops-team-stack';
import { loadTeamConfig, parseTeamConfig, type TeamConfig, type TeamConfigInput } from '../../contracts/team-config';
import { projectContext } from './project-context';

const EXAMPLE_TEAM_FILE = join(__dirname, '..', '..', 'pipelines', 'teams', 'fraud.json');

/** The example team's config, optionally with top-level sections replaced (validated like a real config). */
export function exampleConfig(overrides: Partial<TeamConfigInput> = {}): TeamConfig {
  const base = loadTeamConfig(EXAMPLE_TEAM_FILE);
  return overrides && Object.keys(overrides).length ? parseTeamConfig({ ...base, ...overrides }) : base;
}

/** The example team on the EKS inference tier (an existing cluster, a pinned version). */
export const eksExampleConfig = (): TeamConfig =>
  exampleConfig({
    inference: {
      kind: 'eks',
      clusterName: 'ml-platform',
      kubectlRoleArn: 'arn:aws:iam::123456789012:role/ml-platform-kubectl',
      namespace: 'fraud',
      minReplicas: 2,
      maxReplicas: 6,
      modelVersion: 3,
    },
  });

export interface SynthesizedTeam {
  app: App;
  stack: MlopsTeamStack;
  template: Template;
}

/**
 * Synthesizes the example team stack (or one built from `config`) the way bin/app.ts does, without bundling the
 * functions (their code assets are hashed from source, every other property is as deployed), and returns the template.
 * In-process, so the constructs can be read too; it still takes seconds: call it once per test file, in `beforeAll`.
 * Tests of the deployed template with its bundles read the shared assembly instead (teamTemplate in team-assembly.ts),
 * which a process of its own synthesizes: bundling every function here would block the test worker for a minute on a
 * busy machine, past vitest's 60 s RPC timeout.
 */
export function synthTeamStack(config: TeamConfig = exampleConfig()): SynthesizedTeam {
  const app = new App({ context: { ...projectContext(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new MlopsTeamStack(app, `Mlops-${config.team}`, { config });
  return { app, stack, template: Template.fromStack(stack) };
}
