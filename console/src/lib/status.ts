import type { VersionStatus } from '../../../contracts/registry-events';

/** Visual tone of a badge; styles.css maps each to colours with at least 4.5:1 contrast. */
export type Tone = 'success' | 'warning' | 'danger' | 'info' | 'neutral' | 'progress';

export interface Badge {
  label: string;
  tone: Tone;
}

const VERSION_BADGES: Record<VersionStatus, Badge> = {
  pending_approval: { label: 'Pending approval', tone: 'warning' },
  approved: { label: 'Approved', tone: 'info' },
  deploying: { label: 'Deploying', tone: 'progress' },
  live: { label: 'Live', tone: 'success' },
  rejected: { label: 'Rejected', tone: 'neutral' },
  retired: { label: 'Retired', tone: 'neutral' },
  rolled_back: { label: 'Rolled back', tone: 'danger' },
};

export function versionStatusBadge(status: string): Badge {
  return VERSION_BADGES[status as VersionStatus] ?? { label: status, tone: 'neutral' };
}

/** Step Functions execution statuses. */
export function executionStatusBadge(status: string): Badge {
  switch (status) {
    case 'RUNNING':
      return { label: 'Running', tone: 'progress' };
    case 'SUCCEEDED':
      return { label: 'Succeeded', tone: 'success' };
    case 'FAILED':
      return { label: 'Failed', tone: 'danger' };
    case 'TIMED_OUT':
      return { label: 'Timed out', tone: 'danger' };
    case 'ABORTED':
      return { label: 'Aborted', tone: 'warning' };
    default:
      return { label: status, tone: 'neutral' };
  }
}

export function alarmStateBadge(state: string): Badge {
  switch (state) {
    case 'OK':
      return { label: 'OK', tone: 'success' };
    case 'ALARM':
      return { label: 'In alarm', tone: 'danger' };
    case 'INSUFFICIENT_DATA':
      return { label: 'Insufficient data', tone: 'neutral' };
    default:
      return { label: state, tone: 'neutral' };
  }
}

/** A pending version is the only one a person can decide on. */
export const isAwaitingDecision = (status: string): boolean => status === 'pending_approval';
