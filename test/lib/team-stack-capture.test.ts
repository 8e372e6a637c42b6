import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, it } from 'vitest';
import { MlopsTeamStack } from '../../lib/mlops-team-stack';
import { exampleConfig } from '../helpers/synth';
import { projectContext } from '../helpers/project-context';

/** The team stack's artifact bucket rules for captured traffic, from a config's drift section. */
function captureRules(drift: Record<string, unknown>) {
  const base = exampleConfig();
  const app = new App({ context: { ...projectContext(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new MlopsTeamStack(app, 'Mlops-fraud', { config: exampleConfig({ drift: { ...base.drift, ...drift } }) });
  return Template.fromStack(stack);
}

describe('captured traffic retention in the team stack', () => {
  it("keeps capture a month beyond the drift window in whole days and its noncurrent versions drift.captureNoncurrentRetentionDays", () => {
    // GIVEN a 25-hour drift window (2 days, rounded up) and 3 days of noncurrent versions
    const template = captureRules({ windowHours: 25, captureNoncurrentRetentionDays: 3 });
    // THEN
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Id: 'capture', Prefix: 'capture/card-fraud/', ExpirationInDays: 32, NoncurrentVersionExpiration: { NoncurrentDays: 3 } }),
        ]),
      },
    });
  });
});
