import { beforeAll, describe, expect, it } from 'vitest';
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DeploymentFlow, type DeploymentFlowProps } from '../../lib/deployment-flow';
import { byomHoldoutKey } from '../../contracts/storage-layout';
import { teamTemplate } from '../helpers/team-assembly';
import { actionsOf, identityStatements } from './monitoring/iam';
import { stateMachineDefinition } from './state-definition';
import { teamFixture } from './monitoring/team-fixture';

/** A DeploymentFlow of its own in a fresh stack, deploying an imported inference function. */
function deploymentFlow(overrides: Partial<DeploymentFlowProps> = {}) {
  const f = teamFixture();
  const inferenceFunction = lambda.Function.fromFunctionArn(f.stack, 'Inference', 'arn:aws:lambda:eu-west-1:123456789012:function:fraud-inference');
  const flow = new DeploymentFlow(f.stack, 'Flow', {
    modelName: 'card-fraud',
    registry: f.registry,
    artifactStore: f.artifactStore,
    metricsNamespace: f.metricsNamespace,
    inferenceFunction,
    inferenceAlias: lambda.Alias.fromAliasAttributes(f.stack, 'Live', { aliasName: 'live', aliasVersion: lambda.Version.fromVersionArn(f.stack, 'V1', `${inferenceFunction.functionArn}:1`) }),
    ...overrides,
  });
  return { stack: f.stack, flow };
}

describe('DeploymentFlow props', () => {
  it('applies the documented defaults: a 10% canary watched for 5 minutes, holdout tolerance 0.001, 1% error rate', () => {
    // GIVEN / WHEN
    const { stack } = deploymentFlow();
    // THEN
    const template = Template.fromStack(stack);
    const definition = stateMachineDefinition(template, 'FlowStateMachine');
    expect(definition.States.Canary.Parameters.weightPercent).toBe(10);
    expect(definition.States['CanaryHealthy?'].Choices[1].NumericGreaterThanEquals).toBe(5);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ HOLDOUT_TOLERANCE: '0.001' }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CANARY_ERROR_RATE_PERCENT: '1' }) },
    });
  });

  it('reports every bad prop in one error, each naming the prop, the rule and the value', () => {
    // GIVEN
    const bad = { canaryPercent: 0, holdoutTolerance: 2, canaryErrorRatePercent: 150, canaryBake: Duration.hours(3) };
    // WHEN / THEN
    expect(() => deploymentFlow(bad)).toThrow(
      [
        'Test/Flow: invalid props:',
        '  - canaryPercent must be an integer between 1 and 99, got: 0',
        '  - holdoutTolerance must be between 0 and 1, got: 2',
        '  - canaryErrorRatePercent must be between 0 and 100, got: 150',
        '  - canaryBake must be at most 2 hours, got: 3 hours',
      ].join('\n'),
    );
  });

  it('refuses a bake shorter than one look at the canary', () => {
    expect(() => deploymentFlow({ canaryBake: Duration.seconds(30) })).toThrow(
      /canaryBake must be at least 1 minute \(the longest alarm window, period x evaluation periods, and one canary look\), got: 30 seconds/,
    );
  });
});

describe('DeploymentFlow (example team)', () => {
  let template: Template;
  let definition: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  beforeAll(async () => {
    template = await teamTemplate();
    definition = stateMachineDefinition(template, 'DeploymentFlowStateMachine');
  }, 600_000);

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

  it('canaries at canaryPercent, then looks at the canary once a minute for canaryBakeMinutes before promoting to 100%', () => {
    const states = definition.States;
    expect(states.Canary.Parameters.weightPercent).toBe(10);
    expect(states.Canary.Next).toBe('StartWatch');
    expect(states.StartWatch).toMatchObject({ Result: { checks: 0 }, Next: 'Bake' });
    expect(states.Bake).toMatchObject({ Type: 'Wait', Seconds: 60, Next: 'WatchCanary' });
    expect(states.WatchCanary.Parameters).toMatchObject({ 'functionVersion.$': '$.prepared.functionVersion', 'since.$': '$.canary.shiftedAt' });
    expect(states.WatchCanary.Next).toBe('CountCheck');
    expect(states.CountCheck.Parameters).toEqual({ 'checks.$': 'States.MathAdd($.watch.checks, 1)' });
    const [unhealthy, baked] = states['CanaryHealthy?'].Choices;
    expect(unhealthy).toMatchObject({ Variable: '$.health.healthy', BooleanEquals: false, Next: 'CanaryAlarm' });
    expect(baked).toMatchObject({ Variable: '$.watch.checks', NumericGreaterThanEquals: 5, Next: 'Promote' });
    expect(states['CanaryHealthy?'].Default).toBe('Bake');
    expect(states.CanaryAlarm).toMatchObject({ Parameters: { Error: 'CanaryAlarm', 'Cause.$': '$.health.reason' }, Next: 'Rollback' });
    expect(states.Promote.Parameters.weightPercent).toBe(100);
    expect(states.Promote.Next).toBe('Finalize');
  });

  it("judges the canary on the new version's own error rate and the inference alarms", () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp("^Reads the canary version's own error rate"),
      Environment: {
        Variables: Match.objectLike({
          // The team's warning threshold of the error rate.
          CANARY_ERROR_RATE_PERCENT: '1',
          CANARY_ALARM_NAMES: Match.anyValue(),
          INFERENCE_ALIAS_NAME: 'live',
        }),
      },
    });
    const statements = identityStatements(template, 'DeploymentFlowWatchCanaryFunctionRole');
    const describe = statements.find((s) => actionsOf(s).includes('cloudwatch:DescribeAlarms'));
    expect(JSON.stringify(describe?.Resource)).toMatch(/Critical/);
    expect(statements.find((s) => actionsOf(s).includes('cloudwatch:GetMetricData'))?.Resource).toBe('*');
  });

  it('catches every step after Begin into Rollback, which ends in a Fail; a Begin that cannot start touches nothing', () => {
    for (const name of ['Prepare', 'HoldoutCheck', 'Canary', 'WatchCanary', 'Promote', 'Finalize']) {
      expect(definition.States[name].Catch[0]).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'Rollback' });
    }
    expect(definition.States.Rollback.Next).toBe('DeploymentFailed');
    expect(definition.States.Begin.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'DeploymentNotStarted' }]);
    expect(definition.States.DeploymentNotStarted).toMatchObject({ Type: 'Fail', ErrorPath: '$.error.Error' });
  });

  it('queues a second approval: Begin is retried every 30 s while another version deploys, for as long as a deployment may last', () => {
    const queue = definition.States.Begin.Retry.find((r: { ErrorEquals: string[] }) => r.ErrorEquals.includes('DeploymentInProgressError'));
    // A deployment may last its work (1 hour) plus the 5-minute bake.
    expect(queue).toEqual({ ErrorEquals: ['DeploymentInProgressError'], IntervalSeconds: 30, MaxAttempts: (65 * 60) / 30, BackoffRate: 1 });
    // The execution may wait that long and then deploy.
    expect(definition.TimeoutSeconds).toBe(2 * 65 * 60);
  });

  it('retries Canary and Promote when the alias changed under them (its RevisionId), reading alias and ownership again', () => {
    for (const name of ['Canary', 'Promote']) {
      expect(definition.States[name].Retry).toContainEqual({ ErrorEquals: ['AliasChangedError'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 });
    }
  });

  it('releases the deployment of an execution that failed, timed out or was aborted', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [{ Ref: Match.stringLikeRegexp('^DeploymentFlowStateMachine') }], status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DeploymentFlowReleaseFunction'), 'Arn'] }, DeadLetterConfig: Match.anyValue() })],
    });
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
