/**
 * The access policy: which identity-provider groups hold which role (approver, operator, developer).
 * Producers: the team config's `access` section (team-config.ts, DEFAULT_ACCESS_POLICY when it names nothing), set on
 * the approval API's function as env ACCESS_POLICY by ApprovalApi (lib/approval-api.ts).
 * Consumers: the approval API (lambdas/registry/access-policy-from-env.ts, caller.ts, api.ts).
 */
import { z } from 'zod';
import type { FunctionEnvName } from './function-environment';

/** What a caller may do beyond reading; every signed-in caller may read. */
export const ROLES = ['approver', 'operator', 'developer'] as const;
/** One of {@link ROLES}. */
export type Role = (typeof ROLES)[number];

/**
 * Who holds which role, as the approval API's function receives it (env ACCESS_POLICY, JSON): the identity provider's
 * groups per role, the token claim that lists a caller's groups, whether a registrant may approve their own version,
 * and the IAM roles that call the SigV4 routes with the roles they hold.
 */
export const accessPolicySchema = z
  .object({
    /** The identity provider's group that holds each role. */
    groups: z
      .object({
        /** Members approve and reject versions. */
        approver: z.string().min(1),
        /** Members roll back, abort deployments and replay registry events. */
        operator: z.string().min(1),
        /** Members register versions trained elsewhere and start training runs. */
        developer: z.string().min(1),
      })
      .strict(),
    /** The token claim that lists the caller's groups. */
    rolesClaim: z.string().min(1),
    /** Whether the identity that registered a version may approve it too. */
    allowSelfApproval: z.boolean(),
    /** IAM roles that call the SigV4 routes, with the roles each holds. */
    automationRoles: z.array(
      z
        .object({
          /** The IAM role's ARN. */
          roleArn: z.string().min(1),
          /** The roles it holds. */
          roles: z.array(z.enum(ROLES)).min(1),
        })
        .strict(),
    ),
  })
  .strict();
/** Who holds which role: the groups per role, the claim that lists them, self-approval, and the automation roles. */
export type AccessPolicy = z.infer<typeof accessPolicySchema>;

/** The policy of a team config that names nothing: Cognito groups `approvers`, `operators`, `developers`. */
export const DEFAULT_ACCESS_POLICY: AccessPolicy = {
  groups: { approver: 'approvers', operator: 'operators', developer: 'developers' },
  rolesClaim: 'cognito:groups',
  allowSelfApproval: false,
  automationRoles: [],
};

/** The environment variable that carries the policy to the API function. */
export const ACCESS_POLICY_ENV = 'ACCESS_POLICY' satisfies FunctionEnvName;
