import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { MALFORMED_AUDIT_ROW_MESSAGE, ModelRegistry } from '../../lib/model-registry';

describe('ModelRegistry', () => {
  let template: Template;
  beforeAll(() => {
    // GIVEN / WHEN a registry that mirrors to SageMaker
    const stack = new Stack(new App(), 'Test');
    new ModelRegistry(stack, 'Registry', { metricsNamespace: 'MLOps/fraud', eventBusName: 'mlops-fraud', mirrorToSageMakerModel: 'card-fraud' });
    template = Template.fromStack(stack);
  });

  it('creates the single table with PITR, deletion protection, KMS, stream and RETAIN', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }),
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        GlobalSecondaryIndexes: [
          Match.objectLike({
            IndexName: 'gsi1',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
          }),
        ],
      }),
    });
  });

  it('feeds audit-row inserts to the publisher with bisect, bounded retries, partial batch response and a DLQ', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 8,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: [{ prefix: 'AUDIT#' }] } } } }) }] },
    });
  });

  it('publishes to the team bus, archived for replay', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'mlops-fraud' });
    template.hasResourceProperties('AWS::Events::Archive', { EventPattern: { source: ['mlops.registry'] }, RetentionDays: 365 });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^RegistryStreamPublisherRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'events:PutEvents' })]) },
    });
  });

  it('syncs SageMaker approvals of the model from the default bus', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: Match.absent(),
      EventPattern: {
        source: ['aws.sagemaker'],
        'detail-type': ['SageMaker Model Package State Change'],
        detail: { ModelApprovalStatus: ['Approved', 'Rejected'], ModelPackageGroupName: ['card-fraud'] },
      },
    });
  });

  it('grants reads on the table and gsi1 only, without Scan, and item writes on the table (the mirror records its package ARN)', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^RegistrySageMakerMirrorMirrorRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable'],
            Resource: [Match.anyValue(), { 'Fn::Join': ['', [Match.anyValue(), '/index/gsi1']] }],
          }),
          Match.objectLike({
            Action: Match.arrayWith(['dynamodb:UpdateItem']),
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RegistryTable'), 'Arn'] },
          }),
        ]),
      },
    });
  });

  it('denies changing or deleting audit rows to every principal, in the table resource policy', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      ResourcePolicy: {
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Sid: 'AuditRowsAreNeverChanged',
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete'],
              Resource: '*',
              Condition: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } },
            },
          ]),
        },
      },
    });
  });

  it('denies every write to any principal but the roles granted a registry write (here the SageMaker sync and mirror)', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      ResourcePolicy: {
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Sid: 'OnlyRegistryWritersWrite',
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: Match.arrayWith(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:PartiQLInsert']),
              Resource: '*',
              Condition: {
                ArnNotEquals: {
                  'aws:PrincipalArn': [
                    { 'Fn::GetAtt': [Match.stringLikeRegexp('^RegistrySageMakerMirrorSyncRole'), 'Arn'] },
                    { 'Fn::GetAtt': [Match.stringLikeRegexp('^RegistrySageMakerMirrorMirrorRole'), 'Arn'] },
                  ],
                },
              },
            },
          ]),
        },
      },
    });
  });

  it('counts the audit rows the publisher skips, from the message its handler logs', () => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: Match.stringLikeRegexp('^RegistryStreamPublisherLogs') },
      FilterPattern: `{ $.message = "${MALFORMED_AUDIT_ROW_MESSAGE}" }`,
      MetricTransformations: [{ MetricNamespace: 'MLOps/fraud', MetricName: 'MalformedAuditRows', MetricValue: '1' }],
    });
    const handler = readFileSync(join(__dirname, '..', '..', 'lambdas', 'registry', 'stream-publisher.handler.ts'), 'utf8');
    expect(handler).toContain(`logger.error('${MALFORMED_AUDIT_ROW_MESSAGE}'`);
  });
});

describe('ModelRegistry grants', () => {
  const fixture = () => {
    const stack = new Stack(new App(), 'Test');
    const registry = new ModelRegistry(stack, 'Registry', { metricsNamespace: 'MLOps/fraud' });
    const role = new iam.Role(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    return { stack, registry, role };
  };

  it('grantRegistryWrite gives PutItem and UpdateItem on the table, never DeleteItem or BatchWriteItem, and lets the role past the table policy', () => {
    // GIVEN
    const { stack, registry, role } = fixture();
    // WHEN
    registry.grantRegistryWrite(role);
    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RegistryTable'), 'Arn'] } }),
        ]),
      },
    });
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toMatch(/DeleteItem|BatchWriteItem/);
    expect(stack.resolve(registry.tableWriters)).toEqual([{ 'Fn::GetAtt': [stack.getLogicalId(role.node.defaultChild as iam.CfnRole), 'Arn'] }]);
  });

  it('grantCooldownWrite gives PutItem and DeleteItem on the COOLDOWN#<model> partition only', () => {
    // GIVEN
    const { stack, registry, role } = fixture();
    // WHEN
    registry.grantCooldownWrite(role, 'card-fraud');
    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
            Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['COOLDOWN#card-fraud'] } },
          }),
        ]),
      },
    });
    expect(registry.tableWriters).toHaveLength(1);
  });

  it('refuses a write grant to a principal that is not a role: the table policy names writers by role ARN', () => {
    // GIVEN
    const { registry } = fixture();
    // WHEN / THEN
    expect(() => registry.grantRegistryWrite(new iam.AccountRootPrincipal())).toThrow(/only IAM roles can write the registry/);
  });
});

describe('ModelRegistry props', () => {
  it('reports every bad prop in one error: a bus name, an archive retention of part of a day, a SageMaker group name', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Test');
    // WHEN / THEN
    expect(
      () =>
        new ModelRegistry(stack, 'Registry', {
          metricsNamespace: 'MLOps/fraud',
          eventBusName: 'default',
          eventArchiveRetention: Duration.hours(12),
          mirrorToSageMakerModel: 'card_fraud',
        }),
    ).toThrow(
      [
        'Test/Registry: invalid props:',
        '  - eventBusName must be 1-256 letters, digits or . - _ / and not "default", got: "default"',
        '  - eventArchiveRetention must be a whole number of days, at least 1, got: 12 hours',
        '  - mirrorToSageMakerModel must be a SageMaker model package group name (letters, digits and -, at most 63), got: "card_fraud"',
      ].join('\n'),
    );
  });
});
