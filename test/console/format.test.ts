import { describe, expect, it } from 'vitest';
import { formatDuration, formatMetricValue, formatNumber, formatRelative, formatTimestamp, shortDigest } from '../../console/src/lib/format';
import { alarmStateBadge, executionStatusBadge, isAwaitingDecision, versionStatusBadge } from '../../console/src/lib/status';
import { VERSION_STATUSES } from '../../contracts/registry-events';
import { formatRangeChoice, parseRelativeStart } from '../../console/src/lib/time-range';

describe('formatNumber', () => {
  it('is compact and trims trailing zeros', () => {
    expect([0, 12, 1234, 2_500_000, 0.91234, 1.5, 0.00012].map((v) => formatNumber(v))).toEqual(['0', '12', '1.23k', '2.5M', '0.912', '1.5', '1.2e-4']);
  });
});

describe('time formatting', () => {
  const now = Date.UTC(2025, 0, 1, 12, 0, 0);
  it('formats durations and relative times', () => {
    expect([formatDuration(450), formatDuration(42_000), formatDuration(125_000), formatDuration(3_900_000)]).toEqual(['450 ms', '42s', '2m 05s', '1h 05m']);
    expect([formatRelative(now - 3000, now), formatRelative(now - 90_000, now), formatRelative(now - 7_200_000, now)]).toEqual(['just now', '1 min ago', '2 h ago']);
    expect(formatTimestamp(now)).toBe('2025-01-01 12:00:00 UTC');
  });

  it('keeps four decimals for model metrics and shortens digests', () => {
    expect(formatMetricValue(0.912345)).toBe('0.9123');
    expect(shortDigest('a'.repeat(60) + 'beef')).toBe('aaaaaaaa…beef');
  });
});

describe('status badges', () => {
  it('labels every registry status, and only pending versions await a decision', () => {
    for (const status of VERSION_STATUSES) expect(versionStatusBadge(status).label).not.toBe(status);
    expect(versionStatusBadge('rolled_back')).toEqual({ label: 'Rolled back', tone: 'danger' });
    expect(VERSION_STATUSES.filter(isAwaitingDecision)).toEqual(['pending_approval']);
  });

  it('gives failures a danger tone', () => {
    expect(executionStatusBadge('FAILED').tone).toBe('danger');
    expect(alarmStateBadge('ALARM')).toEqual({ label: 'In alarm', tone: 'danger' });
  });
});

describe('time ranges', () => {
  it('parses CloudWatch relative starts', () => {
    expect([parseRelativeStart('-PT3H'), parseRelativeStart('-PT30M'), parseRelativeStart('-P1D'), parseRelativeStart('-P1W'), parseRelativeStart('2025-01-01T00:00:00Z'), parseRelativeStart(undefined)]).toEqual([
      180, 30, 1440, 10_080, undefined, undefined,
    ]);
    expect(formatRangeChoice(180)).toBe('3 hours');
  });
});
