import { App, Stack } from 'aws-cdk-lib';
import { ArtifactStore } from '../../../lib/artifact-store';
import { ModelRegistry } from '../../../lib/model-registry';
import type { TeamConfig, TeamConfigInput } from '../../../contracts/team-config';
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

/** The example team turned into a multiclass model (a multiclass team brings its own training container). */
export function multiclassConfig(classes: (string | number)[] = ['grocery', 'travel', 'online', 'fuel']): TeamConfig {
  const base = exampleConfig();
  return exampleConfig({
    model: { ...base.model, task: 'multiclass-classification', label: 'category', classes } as TeamConfigInput['model'],
    training: { ...base.training, container: { imageUri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/trainer:1' } } as TeamConfigInput['training'],
    evaluation: { ...base.evaluation, primaryMetric: 'macroF1' } as TeamConfigInput['evaluation'],
  });
}

/** The example team turned into a regression model. */
export function regressionConfig(): TeamConfig {
  const base = exampleConfig();
  return exampleConfig({
    model: { ...base.model, task: 'regression', label: 'amount_next_month' } as TeamConfigInput['model'],
    evaluation: { ...base.evaluation, primaryMetric: 'rmse', threshold: 100 } as TeamConfigInput['evaluation'],
  });
}
