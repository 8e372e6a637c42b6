import { App, Stack } from 'aws-cdk-lib';
import { ArtifactStore } from '../../../lib/artifact-store';
import { ModelRegistry } from '../../../lib/model-registry';
import type { TeamConfig } from '../../../lib/team-config';
import { exampleConfig } from '../../helpers/synth';
import { projectContext } from '../../helpers/project-context';

/** A fresh stack with the parts every serving/monitoring construct needs, and the example team's config. */
export interface TeamFixture {
  app: App;
  stack: Stack;
  config: TeamConfig;
  metricsNamespace: string;
  artifactStore: ArtifactStore;
  registry: ModelRegistry;
}

/** Function code is not bundled (`aws:cdk:bundling-stacks: []`): these tests look at the template, not the code. */
export function teamFixture(config: TeamConfig = exampleConfig()): TeamFixture {
  const app = new App({ context: { ...projectContext(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test');
  const metricsNamespace = `MLOps/${config.team}`;
  const artifactStore = new ArtifactStore(stack, 'ArtifactStore');
  const registry = new ModelRegistry(stack, 'Registry', { metricsNamespace });
  return { app, stack, config, metricsNamespace, artifactStore, registry };
}
