import { describe, expect, it } from 'vitest';
import { expandShorthand, MetricRowError, parseMetricRows } from '../../console/src/lib/metric-rows';

describe('expandShorthand', () => {
  it('repeats the element at the same position for "."', () => {
    // GIVEN a row abbreviated with "." against the row before it
    const rows = [
      ['AWS/Lambda', 'Invocations', 'FunctionName', 'a'],
      ['.', 'Errors', '.', '.'],
    ];
    // THEN each "." takes the previous row's element at that position
    expect(expandShorthand(rows)[1]).toEqual(['AWS/Lambda', 'Errors', 'FunctionName', 'a']);
  });

  it('fills "..." with as many previous elements as the row needs', () => {
    const rows = [
      ['AWS/EC2', 'CPUUtilization', 'InstanceId', 'i-1', { stat: 'Maximum' }],
      ['...', 'i-2', { label: 'second' }],
    ];
    expect(expandShorthand(rows)[1]).toEqual(['AWS/EC2', 'CPUUtilization', 'InstanceId', 'i-2', { label: 'second' }]);
  });

  it('supports "..." after explicit leading elements', () => {
    const rows = [
      ['MLOps/fraud', 'Latency', 'Model', 'card-fraud', 'Version', '3'],
      ['MLOps/fraud', 'Errors', '...'],
    ];
    expect(expandShorthand(rows)[1]).toEqual(['MLOps/fraud', 'Errors', 'Model', 'card-fraud', 'Version', '3']);
  });

  it('repeats from the last metric row, skipping expression rows', () => {
    const rows = [['NS', 'A', 'D', '1'], [{ expression: 'm1 * 2', id: 'e1' }], ['.', 'B', '.', '.']];
    expect(expandShorthand(rows)[2]).toEqual(['NS', 'B', 'D', '1']);
  });

  it('rejects "." with nothing to repeat, naming the row', () => {
    expect(() => expandShorthand([['.', 'Errors']])).toThrow(new MetricRowError('metrics[0][0]: "." has no element at this position in the previous row'));
  });
});

describe('parseMetricRows', () => {
  it('turns rows into metric series with ids, dimensions and CloudWatch defaults', () => {
    const [series] = parseMetricRows([['MLOps/fraud', 'Invocations', 'Model', 'card-fraud']]);
    expect(series).toEqual({
      kind: 'metric',
      id: 'm1',
      label: 'Invocations',
      color: undefined,
      yAxis: 'left',
      visible: true,
      namespace: 'MLOps/fraud',
      metricName: 'Invocations',
      dimensions: { Model: 'card-fraud' },
      stat: 'Average',
      period: 300,
    });
  });

  it('takes stat and period from the row, then the widget', () => {
    const series = parseMetricRows(
      [
        ['NS', 'A', { stat: 'p99', period: 60 }],
        ['NS', 'B'],
      ],
      { stat: 'Sum', period: 120 },
    );
    expect(series.map((s) => (s.kind === 'metric' ? [s.stat, s.period] : []))).toEqual([
      ['p99', 60],
      ['Sum', 120],
    ]);
  });

  it('parses math expressions and hidden inputs as CDK renders them', () => {
    const series = parseMetricRows([
      [{ expression: '100 * errors / invocations', label: 'Error rate (%)', id: 'expr_1' }],
      ['NS', 'Errors', { stat: 'Sum', visible: false, id: 'errors' }],
      ['NS', 'Invocations', { stat: 'Sum', visible: false, yAxis: 'right', id: 'invocations' }],
    ]);
    expect(series[0]).toMatchObject({ kind: 'expression', id: 'expr_1', expression: '100 * errors / invocations', label: 'Error rate (%)', visible: true });
    expect(series[1]).toMatchObject({ kind: 'metric', id: 'errors', visible: false });
    expect(series[2]).toMatchObject({ id: 'invocations', yAxis: 'right' });
  });

  it('rejects a row with a dimension name but no value', () => {
    expect(() => parseMetricRows([['NS', 'A', 'Model']])).toThrow(/metrics\[0\]: expected \[namespace, metricName, dimensionName, dimensionValue/);
  });
});
