import type { Template } from 'aws-cdk-lib/assertions';
import { actionsOf, identityStatements, RESOURCELESS_ACTIONS } from './monitoring/iam';

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
      ...(resources.includes('*') ? actions.filter((a) => !RESOURCELESS_ACTIONS.has(a)).map((a) => `${a} on Resource "*" has resource-level permissions`) : []),
    ];
  });
}
