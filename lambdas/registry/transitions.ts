import type { VersionStatus } from '../../contracts/registry-events';
import { IllegalTransitionError } from './errors';

/** The version lifecycle (docs/architecture.md). Restoring a retired version to live happens only inside a rollback. */
const ALLOWED_TRANSITIONS: Readonly<Record<VersionStatus, readonly VersionStatus[]>> = {
  pending_approval: ['approved', 'rejected'],
  approved: ['deploying'],
  deploying: ['live', 'rolled_back'],
  live: ['retired', 'rolled_back'],
  rejected: [],
  retired: [],
  rolled_back: [],
};

export function assertTransition(model: string, version: number, from: VersionStatus, to: VersionStatus): void {
  const allowed = ALLOWED_TRANSITIONS[from];
  if (!allowed.includes(to)) throw new IllegalTransitionError(model, version, from, to, allowed);
}
