import type { TimeSeries } from './time-series';

/**
 * The one metric-math evaluator: the console draws dashboard expressions with it and the twin's CloudWatch evaluates
 * alarms on metric math with it (local/ imports it from here, since the browser bundle must not import local/).
 *
 * A subset of CloudWatch metric math, enough for the alarms and dashboards this platform synthesizes: arithmetic
 * (+ - * /, unary minus, parentheses, numbers) over series ids, ABS, SUM/AVG/MIN/MAX over `[id, ...]` or
 * `METRICS()` (per timestamp) or over one series (a scalar, as CloudWatch does), and FILL(series, number).
 * Arithmetic on two series keeps the timestamps both have; a point whose result is not finite (x / 0) is dropped.
 * Anything else raises UnsupportedExpressionError, so a widget or an alarm says so instead of showing something wrong.
 */

/** An expression outside the supported subset, or one that is malformed or names an id it was not given. */
export class UnsupportedExpressionError extends Error {
  constructor(expression: string, reason: string) {
    super(`expression not supported: ${expression} (${reason})`);
    this.name = 'UnsupportedExpressionError';
  }
}

type Token = { kind: 'number'; value: number } | { kind: 'ident'; value: string } | { kind: 'punct'; value: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\d+(?:\.\d+)?(?:e[+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|([-+*/(),[\]]))/y;
  let index = 0;
  while (index < expression.length) {
    if (/^\s*$/.test(expression.slice(index))) break;
    pattern.lastIndex = index;
    const match = pattern.exec(expression);
    if (!match) throw new UnsupportedExpressionError(expression, `unexpected "${expression.slice(index).trim()[0]}"`);
    if (match[1] !== undefined) tokens.push({ kind: 'number', value: Number(match[1]) });
    else if (match[2] !== undefined) tokens.push({ kind: 'ident', value: match[2] });
    else tokens.push({ kind: 'punct', value: match[3] });
    index = pattern.lastIndex;
  }
  return tokens;
}

/** A value during evaluation: a scalar, one series (time -> value) or a list of series. */
type Value = { kind: 'scalar'; value: number } | { kind: 'series'; points: Map<number, number> } | { kind: 'list'; items: Map<number, number>[] };

const AGGREGATES: Record<string, (values: number[]) => number> = {
  SUM: (values) => values.reduce((a, b) => a + b, 0),
  AVG: (values) => values.reduce((a, b) => a + b, 0) / values.length,
  MIN: (values) => Math.min(...values),
  MAX: (values) => Math.max(...values),
};

const toPoints = (series: TimeSeries): Map<number, number> => new Map(series.timestamps.map((t, i) => [t, series.values[i]]));

/**
 * Evaluates `expression` over the series it names. `metricIds` lists the ids METRICS() stands for (the widget's
 * plain metrics). `timestamps` is the time axis a scalar result is drawn across.
 */
export function evaluateExpression(
  expression: string,
  inputs: ReadonlyMap<string, TimeSeries>,
  metricIds: readonly string[],
  timestamps: readonly number[],
): TimeSeries {
  const tokens = tokenize(expression);
  let position = 0;
  const fail = (reason: string): never => {
    throw new UnsupportedExpressionError(expression, reason);
  };
  const peek = (): Token | undefined => tokens[position];
  const take = (punct?: string): Token => {
    const token = tokens[position];
    if (!token) return fail('unexpected end');
    if (punct !== undefined && (token.kind !== 'punct' || token.value !== punct)) return fail(`expected "${punct}"`);
    position += 1;
    return token;
  };
  const isPunct = (value: string): boolean => {
    const token = peek();
    return token?.kind === 'punct' && token.value === value;
  };

  const seriesOf = (id: string): Map<number, number> => {
    const series = inputs.get(id);
    return series ? toPoints(series) : fail(`unknown id "${id}"`);
  };

  const asList = (value: Value): Map<number, number>[] =>
    value.kind === 'list' ? value.items : value.kind === 'series' ? [value.points] : fail('expected series');

  const parseList = (): Value => {
    take('[');
    const items: Map<number, number>[] = [];
    while (!isPunct(']')) {
      items.push(...asList(parseExpr()));
      if (!isPunct(']')) take(',');
    }
    take(']');
    return { kind: 'list', items };
  };

  const parseCall = (name: string): Value => {
    take('(');
    if (name === 'METRICS') {
      take(')');
      return { kind: 'list', items: metricIds.map(seriesOf) };
    }
    if (name === 'ABS') {
      const argument = parseExpr();
      take(')');
      if (argument.kind === 'scalar') return { kind: 'scalar', value: Math.abs(argument.value) };
      if (argument.kind === 'series') return { kind: 'series', points: new Map([...argument.points].map(([t, v]) => [t, Math.abs(v)])) };
      return fail('ABS takes a series or a number');
    }
    if (name === 'FILL') {
      const series = parseExpr();
      take(',');
      const filler = parseExpr();
      take(')');
      if (series.kind !== 'series' || filler.kind !== 'scalar') return fail('FILL takes a series and a number');
      return { kind: 'series', points: new Map(timestamps.map((t) => [t, series.points.get(t) ?? filler.value])) };
    }
    const aggregate = AGGREGATES[name] ?? fail(`function ${name} is not supported`);
    const argument = parseExpr();
    if (isPunct(',')) return fail(`${name} takes one argument: a series, or several as [a, b, ...]`);
    take(')');
    if (argument.kind === 'scalar') return argument;
    if (argument.kind === 'series') return { kind: 'scalar', value: aggregate([...argument.points.values()]) };
    const points = new Map<number, number>();
    for (const t of timestamps) {
      const present = argument.items.map((item) => item.get(t)).filter((v): v is number => v !== undefined);
      if (present.length > 0) points.set(t, aggregate(present));
    }
    return { kind: 'series', points };
  };

  const parsePrimary = (): Value => {
    const token = take();
    if (token.kind === 'number') return { kind: 'scalar', value: token.value };
    if (token.kind === 'ident') return isPunct('(') ? parseCall(token.value.toUpperCase()) : { kind: 'series', points: seriesOf(token.value) };
    if (token.value === '(') {
      const inner = parseExpr();
      take(')');
      return inner;
    }
    if (token.value === '[') {
      position -= 1;
      return parseList();
    }
    if (token.value === '-') return combine({ kind: 'scalar', value: -1 }, parsePrimary(), '*');
    return fail(`unexpected "${token.value}"`);
  };

  const combine = (left: Value, right: Value, op: string): Value => {
    const apply = (a: number, b: number): number | undefined => {
      const result = op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a / b;
      return Number.isFinite(result) ? result : undefined;
    };
    if (left.kind === 'list' || right.kind === 'list') return fail('arithmetic on a list of series');
    if (left.kind === 'scalar' && right.kind === 'scalar') {
      const value = apply(left.value, right.value);
      return value === undefined ? fail('division by zero') : { kind: 'scalar', value };
    }
    const points = new Map<number, number>();
    for (const t of timestamps) {
      const a = left.kind === 'scalar' ? left.value : left.points.get(t);
      const b = right.kind === 'scalar' ? right.value : right.points.get(t);
      if (a === undefined || b === undefined) continue;
      const value = apply(a, b);
      if (value !== undefined) points.set(t, value);
    }
    return { kind: 'series', points };
  };

  const parseTerm = (): Value => {
    let value = parsePrimary();
    while (isPunct('*') || isPunct('/')) {
      const op = take().value as string;
      value = combine(value, parsePrimary(), op);
    }
    return value;
  };

  function parseExpr(): Value {
    let value = parseTerm();
    while (isPunct('+') || isPunct('-')) {
      const op = take().value as string;
      value = combine(value, parseTerm(), op);
    }
    return value;
  }

  const result = parseExpr();
  if (position < tokens.length) fail(`unexpected "${String(tokens[position].value)}"`);
  if (result.kind === 'list') return fail('the result is several series; wrap it in SUM, AVG, MIN or MAX');
  if (result.kind === 'scalar') return { timestamps: [...timestamps], values: timestamps.map(() => result.value) };
  const sorted = [...result.points.entries()].sort((a, b) => a[0] - b[0]);
  return { timestamps: sorted.map(([t]) => t), values: sorted.map(([, v]) => v) };
}
