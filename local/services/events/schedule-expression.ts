/**
 * EventBridge schedule expressions: `rate(value unit)` and the six-field `cron(minutes hours day-of-month month
 * day-of-week year)` (UTC; day-of-week 1-7 = SUN-SAT; one of day-of-month/day-of-week is `?`). Supported in cron
 * fields: `*`, `?`, numbers, names (JAN, MON), ranges, lists and `/` steps. `L`, `W` and `#` are refused by name.
 */

export type Schedule = { kind: 'rate'; periodMs: number } | { kind: 'cron'; fields: CronFields };

interface CronFields {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number> | 'any';
  months: Set<number>;
  daysOfWeek: Set<number> | 'any';
  years: Set<number> | 'any';
}

class ScheduleExpressionError extends Error {
  constructor(expression: string, problem: string) {
    super(`schedule expression "${expression}": ${problem}`);
    this.name = 'ScheduleExpressionError';
  }
}

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

export function parseSchedule(expression: string): Schedule {
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2].replace(/s$/, '');
    if (value < 1) throw new ScheduleExpressionError(expression, 'the rate must be a positive whole number');
    if ((value === 1) !== (rate[2] === unit)) {
      throw new ScheduleExpressionError(expression, `use "${unit}" for a value of 1 and "${unit}s" otherwise`);
    }
    return { kind: 'rate', periodMs: value * UNIT_MS[unit] };
  }
  const cron = /^cron\((.+)\)$/.exec(expression.trim());
  if (!cron) throw new ScheduleExpressionError(expression, 'expected rate(...) or cron(...)');
  const parts = cron[1].trim().split(/\s+/);
  if (parts.length !== 6) throw new ScheduleExpressionError(expression, `cron takes 6 fields, got ${parts.length}`);
  const [min, hour, dom, month, dow, year] = parts;
  if ((dom === '?') === (dow === '?')) {
    throw new ScheduleExpressionError(expression, 'exactly one of day-of-month and day-of-week must be "?"');
  }
  const field = (text: string, lo: number, hi: number, names?: string[], offset = 0) => parseField(expression, text, lo, hi, names, offset);
  return {
    kind: 'cron',
    fields: {
      minutes: field(min, 0, 59),
      hours: field(hour, 0, 23),
      daysOfMonth: dom === '?' || dom === '*' ? 'any' : field(dom, 1, 31),
      months: field(month, 1, 12, MONTHS, 1),
      daysOfWeek: dow === '?' || dow === '*' ? 'any' : field(dow, 1, 7, DAYS, 1),
      years: year === '*' ? 'any' : field(year, 1970, 2199),
    },
  };
}

function parseField(expression: string, text: string, lo: number, hi: number, names: string[] | undefined, offset: number): Set<number> {
  if (/[LW#]/.test(text)) throw new ScheduleExpressionError(expression, `"${text}": L, W and # are not supported by the twin`);
  const value = (token: string) => {
    const named = names?.indexOf(token.toUpperCase()) ?? -1;
    const n = named >= 0 ? named + offset : Number(token);
    if (!Number.isInteger(n) || n < lo || n > hi) throw new ScheduleExpressionError(expression, `"${token}" is outside ${lo}-${hi}`);
    return n;
  };
  const result = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!(step >= 1)) throw new ScheduleExpressionError(expression, `bad step in "${part}"`);
    let [from, to] = [lo, hi];
    if (range !== '*' && range !== '?') {
      const [a, b] = range.split('-');
      from = value(a);
      to = b === undefined ? (stepText === undefined ? from : hi) : value(b);
    }
    for (let n = from; n <= to; n += step) result.add(n);
  }
  return result;
}

/** The first instant strictly after `after` (epoch ms, UTC) that a cron schedule fires; undefined if none within 5 years. */
export function nextCronTime(fields: CronFields, after: number): number | undefined {
  const t = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
  const limit = after + 5 * 366 * 86_400_000;
  while (t.getTime() <= limit) {
    if ((fields.years !== 'any' && !fields.years.has(t.getUTCFullYear())) || !fields.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    const dayOk =
      (fields.daysOfMonth === 'any' || fields.daysOfMonth.has(t.getUTCDate())) &&
      (fields.daysOfWeek === 'any' || fields.daysOfWeek.has(t.getUTCDay() + 1));
    if (!dayOk) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!fields.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!fields.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return t.getTime();
  }
  return undefined;
}
