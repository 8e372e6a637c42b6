import type { Series } from './metric-store';

/**
 * The metric math subset alarms and dashboards here use: numbers, metric ids, + - * /, parentheses, unary minus,
 * FILL(series, value), ABS, and MIN/MAX/SUM/AVG of several series per timestamp. Series are aligned by timestamp;
 * arithmetic on two series keeps the timestamps both have (as CloudWatch does), a scalar applies to every point.
 */
type Value = number | Map<number, number>;

export class MetricMathError extends Error {
  constructor(expression: string, problem: string) {
    super(`metric math "${expression}": ${problem}`);
    this.name = 'MetricMathError';
  }
}

export function evaluateExpression(expression: string, series: Record<string, Series>, allTimestamps: number[]): Series {
  const tokens = expression.match(/\s*([A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|[-+*/(),])/g)?.map((t) => t.trim()) ?? [];
  if (tokens.join('') !== expression.replace(/\s+/g, '')) throw new MetricMathError(expression, 'unsupported characters');
  let position = 0;
  const peek = () => tokens[position];
  const take = (expected?: string) => {
    const token = tokens[position++];
    if (expected !== undefined && token !== expected) throw new MetricMathError(expression, `expected "${expected}", got "${token ?? 'end'}"`);
    return token;
  };
  const toMap = (s: Series) => new Map(s.timestamps.map((t, i) => [t, s.values[i]]));
  const binary = (a: Value, b: Value, op: (x: number, y: number) => number): Value => {
    if (typeof a === 'number' && typeof b === 'number') return op(a, b);
    if (typeof a === 'number') return new Map([...(b as Map<number, number>)].map(([t, v]) => [t, op(a, v)]));
    if (typeof b === 'number') return new Map([...a].map(([t, v]) => [t, op(v, b)]));
    return new Map([...a].filter(([t]) => b.has(t)).map(([t, v]) => [t, op(v, b.get(t)!)]));
  };
  const call = (name: string, args: Value[]): Value => {
    switch (name) {
      case 'FILL': {
        const [s, fill] = args;
        if (typeof s === 'number' || typeof fill !== 'number') throw new MetricMathError(expression, 'FILL(series, number)');
        return new Map(allTimestamps.map((t) => [t, s.get(t) ?? fill]));
      }
      case 'ABS':
        return binary(args[0], 0, (x) => Math.abs(x));
      case 'MIN':
      case 'MAX':
      case 'SUM':
      case 'AVG': {
        const reduce = { MIN: Math.min, MAX: Math.max, SUM: (...v: number[]) => v.reduce((a, b) => a + b, 0), AVG: (...v: number[]) => v.reduce((a, b) => a + b, 0) / v.length }[name];
        return args.reduce((acc, v) => binary(acc, v, (x, y) => reduce(x, y)));
      }
      default:
        throw new MetricMathError(expression, `function ${name} is not supported by the twin`);
    }
  };
  const primary = (): Value => {
    const token = take();
    if (token === undefined) throw new MetricMathError(expression, 'unexpected end');
    if (token === '(') {
      const value = sum();
      take(')');
      return value;
    }
    if (token === '-') return binary(0, primary(), (x, y) => x - y);
    if (/^\d/.test(token)) return Number(token);
    if (peek() === '(') {
      take('(');
      const args: Value[] = [sum()];
      while (peek() === ',') {
        take(',');
        args.push(sum());
      }
      take(')');
      return call(token.toUpperCase(), args);
    }
    const s = series[token];
    if (!s) throw new MetricMathError(expression, `unknown id "${token}"`);
    return toMap(s);
  };
  const product = (): Value => {
    let value = primary();
    while (peek() === '*' || peek() === '/') {
      const op = take();
      const right = primary();
      value = binary(value, right, op === '*' ? (x, y) => x * y : (x, y) => x / y);
    }
    return value;
  };
  const sum = (): Value => {
    let value = product();
    while (peek() === '+' || peek() === '-') {
      const op = take();
      const right = product();
      value = binary(value, right, op === '+' ? (x, y) => x + y : (x, y) => x - y);
    }
    return value;
  };
  const result = sum();
  if (position !== tokens.length) throw new MetricMathError(expression, `unexpected "${tokens[position]}"`);
  const map = typeof result === 'number' ? new Map(allTimestamps.map((t) => [t, result])) : result;
  const timestamps = [...map.keys()].filter((t) => Number.isFinite(map.get(t)!)).sort((a, b) => a - b);
  return { timestamps, values: timestamps.map((t) => map.get(t)!) };
}
