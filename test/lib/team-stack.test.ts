import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthTeamStack } from '../helpers/synth';
import { identityStatements } from './monitoring/iam';
import { definitionOf } from './state-definition';
import { nagFindings } from './monitoring/nag';
import { iamWildcardProblems } from './team-stack-iam';

// asl-validator ships CommonJS without types: one function (definition) => { isValid, errorsText() }.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (definition: unknown) => { isValid: boolean; errorsText(sep?: string): string };

describe('MlopsTeamStack (example team)', () => {
  let template: Template;
  let findings: string[];
  beforeAll(() => {
    const synthesized = synthTeamStack();
    template = synthesized.template;
    findings = nagFindings(synthesized.app);
  });

  it('has no unacknowledged AwsSolutions or Serverless findings', () => {
    expect(findings).toEqual([]);
  });

  it('grants no "*" or "service:*" action, and Resource "*" only for actions without resource-level permissions', () => {
    expect(identityStatements(template).length).toBeGreaterThan(20);
    expect(iamWildcardProblems(template)).toEqual([]);
  });

  it('writes every state machine definition as valid ASL', () => {
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(machines.length).toBeGreaterThanOrEqual(2);
    for (const machine of machines) {
      const result = aslValidator(definitionOf(machine as never));
      expect(result.errorsText(), result.errorsText()).toBe('');
      expect(result.isValid).toBe(true);
    }
  });

  it('exports the outputs the CLI and the local twin look up by id', () => {
    const outputs = Object.keys(template.toJSON().Outputs);
    expect(outputs).toEqual(
      expect.arrayContaining([
        'TrainingStateMachineArn',
        'DeploymentStateMachineArn',
        'ArtifactBucketName',
        'RegistryTableName',
        'EventBusName',
        'ApprovalApiUrl',
        'UserPoolId',
        'UserPoolClientId',
        'InferenceFunctionName',
        'InferenceAliasName',
        'InferenceUrl',
      ]),
    );
  });

  it('names the team bus mlops-<team>', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'mlops-fraud' });
  });
});
