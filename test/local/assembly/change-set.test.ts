import { CustomResource, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { describeChangeSet, planStackUpdate } from '../../../local/assembly/change-set';
import { readApp, synthesize } from '../support/synth';

interface Shape {
  tableName?: string;
  key?: string;
  threshold?: number;
  code?: string;
  versionPolicy?: RemovalPolicy;
  queueIsTopic?: boolean;
}

function build(shape: Shape) {
  return readApp(
    synthesize((stack: Stack) => {
      new dynamodb.Table(stack, 'Table', { tableName: shape.tableName, partitionKey: { name: shape.key ?? 'pk', type: dynamodb.AttributeType.STRING }, removalPolicy: RemovalPolicy.RETAIN });
      const fn = new lambda.Function(stack, 'Fn', {
        runtime: lambda.Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline(shape.code ?? 'exports.handler = async () => 1'),
        currentVersionOptions: { removalPolicy: shape.versionPolicy },
      });
      new lambda.Alias(stack, 'Live', { aliasName: 'live', version: fn.currentVersion });
      new cloudwatch.Alarm(stack, 'Alarm', { metric: fn.metricErrors(), threshold: shape.threshold ?? 1, evaluationPeriods: 1 });
      if (shape.queueIsTopic) new cloudwatch.CfnAlarm(stack, 'Thing', { comparisonOperator: 'GreaterThanThreshold', evaluationPeriods: 1, threshold: 1, metricName: 'm', namespace: 'n', period: 60, statistic: 'Sum' });
      else new sqs.CfnQueue(stack, 'Thing', {});
    }),
  );
}

describe('planStackUpdate', () => {
  it('updates an alarm in place, replaces a table whose key changed, and keeps the replaced table under Retain', () => {
    const changes = planStackUpdate(build({}), build({ threshold: 5, key: 'id' }), () => 0);
    const [stack] = changes.summary();
    expect(stack.updated).toEqual([expect.stringMatching(/^Alarm/)]);
    expect(stack.replaced).toEqual([expect.stringMatching(/^Table/)]);
    expect(stack.retained).toEqual(stack.replaced);
    expect(changes.ofType('AWS::DynamoDB::Table')[0].changedProperties).toEqual(expect.arrayContaining(['KeySchema', 'AttributeDefinitions']));
  });

  it('numbers a new template version after what Lambda has published, and deletes the old one under CDK\'s default DESTROY', () => {
    const changes = planStackUpdate(build({}), build({ code: 'exports.handler = async () => 2' }), () => 7);
    const [stack] = changes.summary();
    expect(stack.created).toEqual([expect.stringMatching(/^FnCurrentVersion/)]);
    expect(stack.deleted).toEqual([expect.stringMatching(/^FnCurrentVersion/)]);
    expect(stack.retained).toEqual([]);
    const created = changes.ofType('AWS::Lambda::Version').find((c) => c.action === 'create')!;
    expect(changes.newApp.stack('TestStack')!.getAtt(created.logicalId, 'Version')).toBe('8');
    // the alias follows the template to the new version
    expect(changes.newApp.stack('TestStack')!.properties(changes.ofType('AWS::Lambda::Alias')[0].logicalId).FunctionVersion).toBe('8');
    expect(stack.updated).toEqual(expect.arrayContaining([expect.stringMatching(/^Fn[A-F0-9]{8}$/), expect.stringMatching(/^Live/)]));
  });

  it('keeps a removed version whose DeletionPolicy is Retain', () => {
    const changes = planStackUpdate(build({ versionPolicy: RemovalPolicy.RETAIN }), build({ code: 'exports.handler = async () => 2', versionPolicy: RemovalPolicy.RETAIN }), () => 1);
    expect(changes.summary()[0].retained).toEqual([expect.stringMatching(/^FnCurrentVersion/)]);
  });

  it('refuses to replace a custom-named resource, with CloudFormation\'s message', () => {
    expect(() => planStackUpdate(build({ tableName: 'registry' }), build({ tableName: 'registry', key: 'id' }), () => 0)).toThrow(
      'CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename registry and update the stack again.',
    );
    // a new name is a plain replacement
    expect(planStackUpdate(build({ tableName: 'registry' }), build({ tableName: 'registry-2', key: 'id' }), () => 0).summary()[0].replaced).toHaveLength(1);
  });

  it('refuses a change of resource type under the same logical id', () => {
    expect(() => planStackUpdate(build({}), build({ queueIsTopic: true }), () => 0)).toThrow(
      'Update of resource type is not permitted. The new template modifies resource type of the following resources: [Thing]',
    );
  });

  it('refuses a new ServiceToken for a custom resource, with CloudFormation\'s message', () => {
    const withToken = (token: string) =>
      readApp(
        synthesize((stack: Stack) => {
          new CustomResource(stack, 'Thing', { serviceToken: token, resourceType: 'Custom::Thing' });
        }),
      );
    expect(() => planStackUpdate(withToken('arn:aws:lambda:us-east-1:000000000000:function:a'), withToken('arn:aws:lambda:us-east-1:000000000000:function:b'), () => 0)).toThrow(
      'Thing: Modifying service token is not allowed.',
    );
  });

  it('describes an unchanged app as having no changes', () => {
    expect(describeChangeSet(planStackUpdate(build({}), build({}), () => 0).summary())).toEqual(['TestStack: no changes']);
  });
});
