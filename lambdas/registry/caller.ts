import { z } from 'zod';
import { type AccessPolicy, ROLES, type Role } from '../../contracts/access-policy';

/**
 * Who acted: the identity provider that vouched for them (`iss`, or `aws-iam` for a SigV4 caller) and their stable
 * id there (`sub`, or the IAM role ARN). An email is recorded beside it only when the provider verified it; users
 * cannot change it (the app clients do not let them write the email attribute), and the audit trail never relies on
 * it to tell two people apart.
 */
export const principalSchema = z.object({ issuer: z.string().min(1), subject: z.string().min(1), email: z.string().min(1).optional() }).strict();

export type Principal = z.infer<typeof principalSchema>;

/** A signed-in caller of the approval API and the roles the access policy gives them. */
export interface Caller extends Principal {
  roles: Role[];
}

/** The issuer recorded for IAM (SigV4) callers. */
const IAM_ISSUER = 'aws-iam';

/** How a principal reads in the audit trail: the verified email, else the subject. */
export const displayName = (principal: Principal): string => principal.email ?? principal.subject;

export const samePrincipal = (a: Principal | undefined, b: Principal | undefined): boolean =>
  a !== undefined && b !== undefined && a.issuer === b.issuer && a.subject === b.subject;

const claimsSchema = z.looseObject({
  iss: z.string().min(1),
  sub: z.string().min(1),
  email: z.string().min(1).optional(),
  email_verified: z.union([z.boolean(), z.string()]).optional(),
});

/**
 * The caller a verified JWT names, or undefined when the claims lack an issuer or subject. API Gateway hands claims
 * over as strings (an array as "[a b]"); a token read directly may carry real arrays and booleans.
 */
export function callerFromClaims(claims: unknown, policy: AccessPolicy): Caller | undefined {
  const parsed = claimsSchema.safeParse(claims ?? {});
  if (!parsed.success) return undefined;
  const { iss, sub, email, email_verified } = parsed.data;
  const verified = email_verified === true || email_verified === 'true';
  const groups = new Set(listClaim(parsed.data[policy.rolesClaim]));
  const roles = ROLES.filter((role) => groups.has(policy.groups[role]));
  return { issuer: iss, subject: sub, ...(email && verified && { email }), roles };
}

/**
 * An IAM caller (a SigV4 route): the role it assumed, matched by account and role name against the policy's automation
 * roles (an assumed-role ARN carries no role path). Undefined when the ARN is not an assumed role.
 */
export function callerFromIamArn(userArn: string, policy: AccessPolicy): Caller | undefined {
  const assumed = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(userArn);
  if (!assumed) return undefined;
  const [, partition, account, roleName] = assumed;
  const entry = policy.automationRoles.find((r) => {
    const role = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(r.roleArn);
    return role !== null && role[1] === partition && role[2] === account && role[3] === roleName;
  });
  return {
    issuer: IAM_ISSUER,
    subject: entry?.roleArn ?? `arn:${partition}:iam::${account}:role/${roleName}`,
    roles: ROLES.filter((role) => entry?.roles.includes(role)),
  };
}

/** A claim holding a list: a JSON array, API Gateway's "[a b]", or a comma- or space-separated string. */
function listClaim(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string') return [];
  const text = value.trim();
  if (text.startsWith('[') && text.endsWith(']')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // API Gateway's form: "[a b]", not JSON.
    }
    return text.slice(1, -1).split(/[\s,]+/).filter(Boolean);
  }
  return text.split(/[\s,]+/).filter(Boolean);
}
