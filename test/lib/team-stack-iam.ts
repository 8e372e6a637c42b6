import type { Template } from 'aws-cdk-lib/assertions';
import { actionsOf, identityStatements } from './monitoring/iam';

/** Actions with no resource-level permissions: the only ones a team stack may allow on Resource '*'. */
const RESOURCELESS = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'dynamodb:ListStreams',
  'ecr:GetAuthorizationToken',
  'cloudwatch:PutMetricData',
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

/**
 * What the cdk-nag acknowledgements of `Resource::*` promise (lib/private/nag.ts callers cite this check): no identity
 * policy of a team stack grants "*" or "service:*" actions, and Resource "*" carries only actions without
 * resource-level permissions. Returns one line per violation; [] when there is none.
 */
export function iamWildcardProblems(template: Template): string[] {
  const statements = identityStatements(template);
  if (statements.length === 0) return ['the template has no identity policy statements to check'];
  return statements.flatMap((statement) => {
    const actions = actionsOf(statement);
    const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
    return [
      ...actions.filter((action) => /(^\*$|:\*$)/.test(action)).map((action) => `action ${action} is a wildcard`),
      ...(resources.includes('*') ? actions.filter((a) => !RESOURCELESS.has(a)).map((a) => `${a} on Resource "*" has resource-level permissions`) : []),
    ];
  });
}
