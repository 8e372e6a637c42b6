import { isCustomResource } from './intrinsics';
import { namePropertyOf } from './resource-identity';

/**
 * Which property changes make CloudFormation replace a resource ("Update requires: Replacement" in the resource
 * reference) rather than update it in place, for the types the twin runs and the ones their templates hold around
 * them. A type not listed is replaced when its name property changes, and updated in place otherwise.
 */
const REPLACING: Record<string, readonly string[]> = {
  'AWS::Lambda::Function': ['FunctionName', 'PackageType'],
  // A version is immutable: every property but its provisioned concurrency and runtime policy publishes a new one.
  'AWS::Lambda::Version': ['FunctionName', 'CodeSha256', 'Description'],
  'AWS::Lambda::Alias': ['FunctionName', 'Name'],
  'AWS::Lambda::Url': ['TargetFunctionArn', 'Qualifier'],
  'AWS::Lambda::LayerVersion': ['CompatibleArchitectures', 'CompatibleRuntimes', 'Content', 'Description', 'LayerName', 'LicenseInfo'],
  'AWS::Lambda::EventSourceMapping': ['EventSourceArn', 'StartingPosition', 'StartingPositionTimestamp', 'SelfManagedEventSource', 'Topics', 'Queues'],
  'AWS::Lambda::Permission': ['Action', 'EventSourceToken', 'FunctionName', 'FunctionUrlAuthType', 'Principal', 'PrincipalOrgID', 'SourceAccount', 'SourceArn'],
  'AWS::StepFunctions::StateMachine': ['StateMachineName', 'StateMachineType'],
  'AWS::Events::Rule': ['Name', 'EventBusName'],
  'AWS::Events::EventBus': ['Name', 'EventSourceName'],
  'AWS::CloudWatch::Alarm': ['AlarmName'],
  'AWS::DynamoDB::Table': ['TableName', 'KeySchema', 'LocalSecondaryIndexes'],
  'AWS::S3::Bucket': ['BucketName', 'ObjectLockEnabled'],
  'AWS::KinesisFirehose::DeliveryStream': ['DeliveryStreamName', 'DeliveryStreamType', 'KinesisStreamSourceConfiguration'],
  'AWS::Batch::JobDefinition': ['JobDefinitionName', 'Type'],
  'AWS::ApiGatewayV2::Route': ['ApiId'],
  'AWS::ApiGatewayV2::Integration': ['ApiId'],
  'AWS::ApiGatewayV2::Authorizer': ['ApiId'],
  'AWS::ApiGatewayV2::Stage': ['ApiId', 'StageName'],
  'AWS::IAM::Role': ['RoleName', 'Path'],
  'AWS::SQS::Queue': ['QueueName', 'FifoQueue'],
  'AWS::SNS::Topic': ['TopicName', 'FifoTopic'],
  'AWS::Logs::LogGroup': ['LogGroupName'],
};

/** The changed properties (top-level names) that make CloudFormation replace a resource of `type`. */
export function replacingProperties(type: string, changed: readonly string[]): string[] {
  // A custom resource is never replaced by the template: its handler decides, by answering another PhysicalResourceId.
  if (isCustomResource(type)) return [];
  const rule = REPLACING[type] ?? [namePropertyOf(type)].filter((p): p is string => p !== undefined);
  return changed.filter((property) => rule.includes(property));
}
