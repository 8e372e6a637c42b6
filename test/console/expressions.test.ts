import { describe, expect, it } from 'vitest';
import { evaluateExpression, UnsupportedExpressionError } from '../../console/src/lib/expressions';
import type { TimeSeries } from '../../console/src/lib/time-series';

const t = [1000, 2000, 3000];
const inputs = new Map<string, TimeSeries>([
  ['errors', { timestamps: t, values: [1, 0, 3] }],
  ['invocations', { timestamps: t, values: [10, 0, 30] }],
  ['m3', { timestamps: [1000, 3000], values: [5, 7] }],
]);
const evaluate = (expression: string) => evaluateExpression(expression, inputs, ['errors', 'invocations', 'm3'], t);

describe('evaluateExpression', () => {
  it('computes a percentage ratio point by point, dropping division by zero', () => {
    expect(evaluate('100 * errors / invocations')).toEqual({ timestamps: [1000, 3000], values: [10, 10] });
  });

  it('respects precedence and parentheses', () => {
    expect(evaluate('(errors + invocations) * 2 - 1')).toEqual({ timestamps: t, values: [21, -1, 65] });
  });

  it('sums a list of series over the timestamps each has', () => {
    expect(evaluate('SUM([errors, m3])')).toEqual({ timestamps: t, values: [6, 0, 10] });
  });

  it('sums METRICS() across the widget', () => {
    expect(evaluate('SUM(METRICS())').values).toEqual([16, 0, 40]);
  });

  it('fills gaps with FILL', () => {
    expect(evaluate('FILL(m3, 0)')).toEqual({ timestamps: t, values: [5, 0, 7] });
  });

  it('reduces a single series to a scalar drawn across the axis, as CloudWatch does', () => {
    expect(evaluate('MAX(invocations)')).toEqual({ timestamps: t, values: [30, 30, 30] });
  });

  it('keeps only the timestamps both series have when combining two series', () => {
    expect(evaluate('errors + m3')).toEqual({ timestamps: [1000, 3000], values: [6, 10] });
  });

  it('negates with unary minus and takes ABS of a series and of a number', () => {
    expect(evaluate('-m3')).toEqual({ timestamps: [1000, 3000], values: [-5, -7] });
    expect(evaluate('ABS(m3 - invocations)')).toEqual({ timestamps: [1000, 3000], values: [5, 23] });
    expect(evaluate('ABS(-2) * errors')).toEqual({ timestamps: t, values: [2, 0, 6] });
  });

  it('averages a list of three series per timestamp over the series present (not pairwise)', () => {
    expect(evaluate('AVG([errors, invocations, m3])')).toEqual({ timestamps: t, values: [16 / 3, 0, 40 / 3] });
  });

  it('says clearly what it cannot evaluate', () => {
    expect(() => evaluate('ANOMALY_DETECTION_BAND(m3, 2)')).toThrow(UnsupportedExpressionError);
    expect(() => evaluate('ANOMALY_DETECTION_BAND(m3, 2)')).toThrow('expression not supported: ANOMALY_DETECTION_BAND(m3, 2) (function ANOMALY_DETECTION_BAND is not supported)');
    expect(() => evaluate('SEARCH(\'{NS} Errors\', "Sum", 300)')).toThrow(/expression not supported/);
    expect(() => evaluate('unknown_id * 2')).toThrow('(unknown id "unknown_id")');
    expect(() => evaluate('errors % 2')).toThrow('expression not supported: errors % 2 (unexpected "%")');
    expect(() => evaluate('MAX(errors, m3)')).toThrow('(MAX takes one argument: a series, or several as [a, b, ...])');
    expect(() => evaluate('FILL(m3)')).toThrow('(expected ",")');
    expect(() => evaluate('(errors + 1')).toThrow('(unexpected end)');
  });
});
