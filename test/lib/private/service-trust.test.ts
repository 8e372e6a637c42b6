import { Aspects, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { ServiceTrustConditions } from '../../../lib/private/service-trust';

const trustOf = (stack: Stack) =>
  (Object.values(Template.fromStack(stack).findResources('AWS::IAM::Role'))[0] as { Properties: { AssumeRolePolicyDocument: { Statement: unknown[] } } }).Properties
    .AssumeRolePolicyDocument.Statement;
const account = { Ref: 'AWS::AccountId' };

describe('ServiceTrustConditions', () => {
  it('conditions a service trust on the source account', () => {
    // GIVEN
    const stack = new Stack();
    new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    // WHEN
    Aspects.of(stack).add(new ServiceTrustConditions());
    // THEN
    expect(trustOf(stack)).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': account } } },
    ]);
  });

  it("adds the source ARN of a service that sets it (an EventBridge rule of this account)", () => {
    // GIVEN
    const stack = new Stack();
    new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('events.amazonaws.com') });
    // WHEN
    Aspects.of(stack).add(new ServiceTrustConditions());
    // THEN
    expect(trustOf(stack)).toEqual([
      expect.objectContaining({
        Condition: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', account, ':rule/*']] } },
        },
      }),
    ]);
  });

  it('keeps the conditions a trust already has, and leaves account principals alone', () => {
    // GIVEN
    const stack = new Stack();
    new iam.Role(stack, 'Role', {
      assumedBy: new iam.CompositePrincipal(
        new iam.ServicePrincipal('pods.eks.amazonaws.com', { conditions: { StringEquals: { 'aws:RequestTag/kubernetes-namespace': 'fraud' } } }),
        new iam.AccountRootPrincipal(),
      ),
    });
    // WHEN
    Aspects.of(stack).add(new ServiceTrustConditions());
    // THEN
    const statements = trustOf(stack) as Array<{ Principal: { Service?: string }; Condition?: unknown }>;
    expect(statements.find((s) => s.Principal.Service)?.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': account, 'aws:RequestTag/kubernetes-namespace': 'fraud' },
    });
    expect(statements.find((s) => !s.Principal.Service)?.Condition).toBeUndefined();
  });
});
