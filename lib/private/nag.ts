import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { Construct, IConstruct } from 'constructs';

/**
 * cdk-nag acknowledgements, always with a reason specific to the resource. cdk-nag 3 matches acknowledgements by exact
 * finding id (`AwsSolutions-IAM5[Resource::<Bucket.Arn>/runs/*]`) on the resource or any ancestor, so the helpers
 * below build the id the same way cdk-nag does (from the resolved CloudFormation reference) and attach it to the
 * construct that owns the policy.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * The construct whose policies a grant lands in: the principal (a role) when it is a construct, since a function's
 * role may sit beside the function rather than under it; else the grantee; undefined for other principals.
 */
function policyOwner(grantee: iam.IGrantable): IConstruct | undefined {
  const principal = grantee.grantPrincipal;
  if (Construct.isConstruct(principal)) return principal;
  return Construct.isConstruct(grantee) ? grantee : undefined;
}

/** Acknowledges the IAM5 finding of a wildcard action (e.g. `kms:GenerateDataKey*`) on the grantee's policies. */
export function acknowledgeWildcardActions(grantee: iam.IGrantable, actions: readonly string[], reason: string): void {
  const owner = policyOwner(grantee);
  if (!owner) return;
  for (const action of actions) acknowledge(owner, `AwsSolutions-IAM5[Action::${action}]`, reason);
}

/** Acknowledges the IAM5 finding of a wildcard resource (an ARN token with `*` in it) on the grantee's policies. */
export function acknowledgeWildcardResource(grantee: iam.IGrantable, resourceArn: string, reason: string): void {
  const owner = policyOwner(grantee);
  if (!owner) return;
  const flat = flattenCfnReference(Stack.of(owner).resolve(resourceArn));
  acknowledge(owner, `AwsSolutions-IAM5[Resource::${flat}]`, reason);
}

/** Acknowledges the IAM5 finding of every wildcard resource in one policy (one the CDK writes itself, for one purpose). */
export function acknowledgePolicyWildcards(policy: iam.Policy, reason: string): void {
  const document = Stack.of(policy).resolve(policy.document.toJSON()) as { Statement?: Array<{ Resource?: unknown }> } | undefined;
  for (const statement of document?.Statement ?? []) {
    for (const resource of ([] as unknown[]).concat(statement.Resource ?? [])) {
      const flat = flattenCfnReference(resource);
      if (flat.includes('*')) acknowledge(policy, `AwsSolutions-IAM5[Resource::${flat}]`, reason);
    }
  }
}

/** KMS actions the L2 grants use; the wildcards stand for the variants of one operation, not for unrelated actions. */
const KMS_GRANT_WILDCARDS = ['kms:GenerateDataKey*', 'kms:ReEncrypt*'] as const;
const KMS_GRANT_REASON =
  'kms:GenerateDataKey* and kms:ReEncrypt* are the CDK grant action groups for one customer-managed key (the resource is that key, not *).';

/** Acknowledges the KMS action wildcards an L2 encrypt/decrypt grant adds. */
export function acknowledgeKmsGrant(grantee: iam.IGrantable): void {
  acknowledgeWildcardActions(grantee, KMS_GRANT_WILDCARDS, KMS_GRANT_REASON);
}
