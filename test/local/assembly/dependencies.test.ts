import { describe, expect, it } from 'vitest';
import type { CfnTemplate } from '../../../local/assembly/cloud-assembly';
import { creationOrder, resourceDependencies } from '../../../local/assembly/dependencies';

const template = {
  Resources: {
    Last: { Type: 'Custom::A', DependsOn: 'Middle', Properties: { Name: { 'Fn::Sub': '${Fn.Arn}-${!Literal}-${AWS::Region}' } } },
    Middle: { Type: 'Custom::A', Properties: { Target: { 'Fn::GetAtt': ['First', 'Data'] }, Other: { Ref: 'Param' } } },
    First: { Type: 'Custom::A', Properties: { Token: { Ref: 'Fn' } } },
    Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
  },
} as unknown as CfnTemplate;

describe('resource dependencies', () => {
  it('reads DependsOn, Ref, Fn::GetAtt and Fn::Sub references to resources (not parameters, literals or pseudo parameters)', () => {
    expect(resourceDependencies(template, 'Last').sort()).toEqual(['Fn', 'Middle']);
    expect(resourceDependencies(template, 'Middle')).toEqual(['First']);
  });

  it('orders resources after everything they depend on, through resources outside the list', () => {
    expect(creationOrder(template, ['Last', 'Middle', 'First'])).toEqual(['First', 'Middle', 'Last']);
  });
});
