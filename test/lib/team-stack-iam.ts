import type { Template } from 'aws-cdk-lib/assertions';
import { actionsOf, identityStatements, type PolicyStatementJson, RESOURCELESS_ACTIONS } from './monitoring/iam';

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

/** Every action that writes items of a DynamoDB table, the ones a grant could add to reach the registry table. */
const DYNAMODB_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
];

interface PolicyDocumentJson {
  Statement: Array<PolicyStatementJson & { Principal?: unknown }>;
}
type ResourceJson = { Type: string; Properties?: Record<string, unknown> };

/** One Allow statement of an identity policy that lets a role write the table. */
export interface TableWriteGrant {
  /** Logical id of the role the policy is attached to. */
  role: string;
  /** The write actions it allows (wildcards expanded to the write actions they cover). */
  actions: string[];
  condition?: unknown;
}

/** Whether an action pattern of a statement (`*`, `dynamodb:*`, `dynamodb:Put*`) covers `action`. */
const covers = (pattern: string, action: string) =>
  new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i').test(action);

/** Whether a statement's Resource reaches `tableId`: its Ref, its Fn::GetAtt (in a Fn::Join too), or "*". */
function reachesTable(resource: unknown, tableId: string): boolean {
  if (resource === '*') return true;
  if (Array.isArray(resource)) return resource.some((r) => reachesTable(r, tableId));
  if (resource === null || typeof resource !== 'object') return false;
  const entries = Object.entries(resource);
  if (entries.length === 1 && entries[0][0] === 'Ref') return entries[0][1] === tableId;
  if (entries.length === 1 && entries[0][0] === 'Fn::GetAtt') return (entries[0][1] as string[])[0] === tableId;
  return entries.some(([, value]) => reachesTable(value, tableId));
}

/** The role logical ids a policy resource is attached to (AWS::IAM::Policy/ManagedPolicy `Roles`, a role's own inline policies). */
function policiesWithRoles(template: Template): Array<{ roles: string[]; document: PolicyDocumentJson }> {
  const refs = (roles: unknown) => ((roles as Array<{ Ref?: string }> | undefined) ?? []).map((r) => r.Ref ?? JSON.stringify(r));
  return Object.entries(template.toJSON().Resources as Record<string, ResourceJson>).flatMap(([logicalId, resource]) => {
    const props = resource.Properties ?? {};
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      return [{ roles: refs(props.Roles), document: props.PolicyDocument as PolicyDocumentJson }];
    }
    if (resource.Type === 'AWS::IAM::Role') {
      const inline = (props.Policies as Array<{ PolicyDocument: PolicyDocumentJson }> | undefined) ?? [];
      return inline.map((policy) => ({ roles: [logicalId], document: policy.PolicyDocument }));
    }
    return [];
  });
}

/**
 * Every Allow statement of an identity policy in the template that lets a role write items of the table `tableId`:
 * a write action (or a wildcard covering one) on the table's ARN, an ARN built from it, or "*".
 */
export function tableWriteGrants(template: Template, tableId: string): TableWriteGrant[] {
  return actionGrants(template, tableId, DYNAMODB_WRITE_ACTIONS);
}

/**
 * Every Allow statement of an identity policy in the template that allows one of `actions` (or a wildcard covering
 * one) on the resource `resourceId`: its Ref or Fn::GetAtt, an ARN built from them, or "*".
 */
export function actionGrants(template: Template, resourceId: string, wanted: readonly string[]): TableWriteGrant[] {
  return policiesWithRoles(template).flatMap(({ roles, document }) =>
    document.Statement.filter((statement) => statement.Effect === 'Allow' && reachesTable(statement.Resource, resourceId)).flatMap((statement) => {
      const actions = wanted.filter((action) => actionsOf(statement).some((pattern) => covers(pattern, action)));
      return actions.length ? roles.map((role) => ({ role, actions, condition: statement.Condition })) : [];
    }),
  );
}

/** Statements of role trust policies and key policies that name a service principal. */
export function serviceStatements(template: Template): Array<{ logicalId: string; type: string; statement: PolicyStatementJson & { Principal?: { Service?: unknown } } }> {
  return Object.entries(template.toJSON().Resources as Record<string, ResourceJson>).flatMap(([logicalId, resource]) => {
    const document =
      resource.Type === 'AWS::IAM::Role'
        ? resource.Properties?.AssumeRolePolicyDocument
        : resource.Type === 'AWS::KMS::Key'
          ? resource.Properties?.KeyPolicy
          : undefined;
    const statements = ((document as PolicyDocumentJson | undefined)?.Statement ?? []) as Array<PolicyStatementJson & { Principal?: { Service?: unknown } }>;
    return statements.filter((statement) => statement.Principal?.Service !== undefined).map((statement) => ({ logicalId, type: resource.Type, statement }));
  });
}
