import { describe, expect, it } from 'vitest';
import { nextCronTime, parseSchedule } from '../../../local/services/events/schedule-expression';

describe('schedule expressions', () => {
  it('reads rate expressions in minutes, hours and days', () => {
    expect(parseSchedule('rate(5 minutes)')).toEqual({ kind: 'rate', periodMs: 300_000 });
    expect(parseSchedule('rate(1 hour)')).toEqual({ kind: 'rate', periodMs: 3_600_000 });
    expect(parseSchedule('rate(7 days)')).toEqual({ kind: 'rate', periodMs: 7 * 86_400_000 });
  });

  it('refuses a unit that does not agree with the value, naming the expression', () => {
    expect(() => parseSchedule('rate(1 hours)')).toThrow('schedule expression "rate(1 hours)": use "hour" for a value of 1');
    expect(() => parseSchedule('every hour')).toThrow('expected rate(...) or cron(...)');
  });

  it('finds the next cron time in UTC: every day at 10:15', () => {
    const { fields } = parseSchedule('cron(15 10 * * ? *)') as { kind: 'cron'; fields: never };
    expect(new Date(nextCronTime(fields, Date.parse('2026-03-01T09:00:00Z'))!).toISOString()).toBe('2026-03-01T10:15:00.000Z');
    expect(new Date(nextCronTime(fields, Date.parse('2026-03-01T10:15:00Z'))!).toISOString()).toBe('2026-03-02T10:15:00.000Z');
  });

  it('finds the next cron time with steps, ranges and day names: every 10 minutes on weekdays 8-17', () => {
    const { fields } = parseSchedule('cron(0/10 8-17 ? * MON-FRI *)') as { kind: 'cron'; fields: never };
    // Saturday 2026-03-07 -> Monday 2026-03-09 08:00
    expect(new Date(nextCronTime(fields, Date.parse('2026-03-07T12:00:00Z'))!).toISOString()).toBe('2026-03-09T08:00:00.000Z');
    expect(new Date(nextCronTime(fields, Date.parse('2026-03-09T08:00:00Z'))!).toISOString()).toBe('2026-03-09T08:10:00.000Z');
  });

  it('refuses day-of-month and day-of-week both given, and unsupported L/W/#', () => {
    expect(() => parseSchedule('cron(0 10 1 * MON *)')).toThrow('exactly one of day-of-month and day-of-week must be "?"');
    expect(() => parseSchedule('cron(0 10 L * ? *)')).toThrow('L, W and # are not supported');
  });
});
