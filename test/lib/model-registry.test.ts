import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, it } from 'vitest';
import { ModelRegistry } from '../../lib/model-registry';

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
});
