import { optionalEnv } from '../shared/env';
import { ACCESS_POLICY_ENV, type AccessPolicy, accessPolicySchema, DEFAULT_ACCESS_POLICY } from '../../contracts/access-policy';

/** The access policy the ApprovalApi construct put in ACCESS_POLICY; a malformed one stops the function at start. */
export function accessPolicyFromEnv(): AccessPolicy {
  const raw = optionalEnv(ACCESS_POLICY_ENV, '');
  if (!raw) return DEFAULT_ACCESS_POLICY;
  const parsed = accessPolicySchema.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new Error(`${ACCESS_POLICY_ENV} is not an access policy: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
