import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { PUBLISH_MAX_WAIT_SECONDS } from '../../lambdas/deployment/inference-function';
import { MlopsTeamStack } from '../../lib/mlops-team-stack';
import { exampleConfig } from '../helpers/synth';
import { projectContext } from '../helpers/project-context';

/**
 * Steps whose code waits get a Lambda timeout above the longest wait their code declares: a timeout below it kills
 * the step in the middle of a wait it was built to sit out (Prepare used to have 60 s for two waits of 300 s).
 */
describe('step timeouts of the team stack exceed the waits of their code', () => {
  let timeouts: Map<string, number>;
  const timeoutOf = (logicalIdPrefix: string) => {
    const found = [...timeouts].filter(([id]) => id.startsWith(logicalIdPrefix));
    expect(found.map(([id]) => id), logicalIdPrefix).toHaveLength(1);
    return found[0][1];
  };
  beforeAll(() => {
    // The template only: function code is not bundled.
    const app = new App({ context: { ...projectContext(), 'aws:cdk:bundling-stacks': [] } });
    const stack = new MlopsTeamStack(app, 'Mlops-fraud', { config: exampleConfig() });
    const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function') as Record<string, { Properties: { Timeout?: number } }>;
    // Lambda's default is 3 seconds.
    timeouts = new Map(Object.entries(functions).map(([id, fn]) => [id, fn.Properties.Timeout ?? 3]));
  });

  it("gives the deployment's Prepare step longer than publishing a version may wait", () => {
    expect(timeoutOf('DeploymentFlowPrepareFunction')).toBeGreaterThan(PUBLISH_MAX_WAIT_SECONDS);
  });

  it('gives the holdout check longer than one invocation of the inference function may take', () => {
    // Each batch of the check waits for one invocation of the version under test, which may run to its own timeout.
    expect(timeoutOf('DeploymentFlowHoldoutCheckFunction')).toBeGreaterThan(timeoutOf('InferenceFunction'));
  });
});
