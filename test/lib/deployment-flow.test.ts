import { beforeAll, describe, expect, it } from 'vitest';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { byomHoldoutKey } from '../../lambdas/shared/storage-layout';
import { synthTeamStack } from '../helpers/synth';
import { actionsOf, identityStatements } from './monitoring/iam';
import { stateMachineDefinition } from './state-definition';

describe('DeploymentFlow (example team)', () => {
  let template: Template;
  let definition: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  beforeAll(() => {
    ({ template } = synthTeamStack());
    definition = stateMachineDefinition(template, 'DeploymentFlowStateMachine');
  });

  it('starts on approved registry events of the model', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^RegistryBus') },
      EventPattern: {
        source: ['mlops.registry'],
        'detail-type': ['Model Version State Change'],
        detail: { model: ['card-fraud'], status: ['approved'] },
      },
      Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue(), RetryPolicy: Match.anyValue() })],
    });
  });

  it('restores when a live version is rolled back', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: { model: ['card-fraud'], status: ['rolled_back'], previousStatus: ['live'] } }),
    });
  });

  it('canaries at canaryPercent, bakes canaryBakeMinutes, then promotes to 100%', () => {
    const states = definition.States;
    expect(states.Canary.Parameters.weightPercent).toBe(10);
    expect(states.Bake.Seconds).toBe(5 * 60);
    expect(states.Promote.Parameters.weightPercent).toBe(100);
    expect(states.Promote.Next).toBe('Finalize');
  });

  it('reads the inference alarms and rolls back when any is in ALARM', () => {
    const check = definition.States.CheckAlarms;
    expect(check.Resource).toMatch(/:states:::aws-sdk:cloudwatch:describeAlarms$/);
    expect(check.Parameters.StateValue).toBe('ALARM');
    expect(check.Parameters.AlarmNames).toEqual(expect.arrayContaining([expect.stringMatching(/critical/i)]));
    expect(definition.States['AlarmsQuiet?'].Choices[0]).toMatchObject({ Variable: '$.alarms.inAlarm[0]', IsPresent: true, Next: 'CanaryAlarm' });
    expect(definition.States.CanaryAlarm.Next).toBe('Rollback');
  });

  it('catches every step into Rollback, which ends in a Fail', () => {
    for (const name of ['Begin', 'Prepare', 'HoldoutCheck', 'Canary', 'CheckAlarms', 'Promote', 'Finalize']) {
      expect(definition.States[name].Catch[0]).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'Rollback' });
    }
    expect(definition.States.Rollback.Next).toBe('DeploymentFailed');
  });

  it('routes approved events to Begin and rolled-back live versions to Restore', () => {
    const [approved, restore] = definition.States.Route.Choices;
    expect(approved).toMatchObject({ Variable: '$.detail.status', StringEquals: 'approved', Next: 'ReadApprovedVersion' });
    expect(restore.Next).toBe('ReadRolledBackVersion');
  });

  it('lets the holdout check read the holdout sets of trained and bring-your-own models', () => {
    const reads = identityStatements(template, 'DeploymentFlowHoldoutCheckFunctionRole')
      .filter((statement) => actionsOf(statement).includes('s3:GetObject'))
      .map((statement) => JSON.stringify(statement.Resource))
      .join(' ');
    expect(reads).toContain('/runs/*/processed/*');
    expect(reads).toContain(`/${byomHoldoutKey('card-fraud', '*')}*`);
  });

  it('lets the holdout check invoke only versions of the inference function', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^DeploymentFlowHoldoutCheckFunctionRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'lambda:InvokeFunction',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^InferenceFunction'), 'Arn'] }, ':*']] },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ HOLDOUT_TOLERANCE: '0.001', INFERENCE_ALIAS_NAME: Match.anyValue() }) },
    });
  });
});
