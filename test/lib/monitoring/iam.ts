import type { Template } from 'aws-cdk-lib/assertions';

export interface PolicyStatementJson {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** Every statement of the identity policies (AWS::IAM::Policy) of a template whose logical id starts with `prefix`. */
export function identityStatements(template: Template, prefix = ''): PolicyStatementJson[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.entries(policies)
    .filter(([logicalId]) => logicalId.startsWith(prefix))
    .flatMap(([, policy]) => (policy as { Properties: { PolicyDocument: { Statement: PolicyStatementJson[] } } }).Properties.PolicyDocument.Statement);
}

export const actionsOf = (statement: PolicyStatementJson): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

/** Actions that exist only without resource-level permissions, so `Resource: '*'` is the only way to allow them. */
export const RESOURCELESS_ACTIONS = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'dynamodb:ListStreams',
  'ecr:GetAuthorizationToken',
  'cloudwatch:PutMetricData',
  'cloudwatch:GetMetricData',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  'sagemaker:ListTags',
]);
