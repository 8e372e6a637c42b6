/**
 * The `metrics` array of a CloudWatch metric widget, turned into series to query and draw.
 *
 * A row is `[namespace, metricName, dimName1, dimValue1, ..., {rendering options}]`, or `[{ expression, id, label }]`
 * for metric math. Hand-written dashboards abbreviate rows: `"."` repeats the element at the same position in the
 * previous row, and `"..."` repeats as many elements of the previous row as are needed to fill the row (CloudWatch's
 * "Dashboard Body Structure and Syntax", metric widget format).
 */

export interface RenderingOptions {
  stat?: string;
  period?: number;
  label?: string;
  color?: string;
  yAxis?: 'left' | 'right';
  visible?: boolean;
  id?: string;
  expression?: string;
}

interface SeriesCommon {
  id: string;
  label: string;
  color?: string;
  yAxis: 'left' | 'right';
  /** Hidden series are inputs to an expression, queried but not drawn. */
  visible: boolean;
}

export interface MetricSeries extends SeriesCommon {
  kind: 'metric';
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  stat: string;
  period: number;
}

export interface ExpressionSeries extends SeriesCommon {
  kind: 'expression';
  expression: string;
}

export type Series = MetricSeries | ExpressionSeries;

/** CloudWatch's defaults when neither the row nor the widget says. */
const DEFAULT_STAT = 'Average';
const DEFAULT_PERIOD_SECONDS = 300;

export class MetricRowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricRowError';
  }
}

const isOptions = (value: unknown): value is RenderingOptions =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Splits a row into its positional elements and its trailing options object. */
function splitRow(row: readonly unknown[]): { elements: unknown[]; options: RenderingOptions } {
  const last = row.at(-1);
  return isOptions(last) ? { elements: row.slice(0, -1), options: last } : { elements: [...row], options: {} };
}

/** Replaces `"."` and `"..."` with the elements of the previous row they stand for. */
export function expandShorthand(rows: readonly (readonly unknown[])[]): unknown[][] {
  const expanded: unknown[][] = [];
  let previous: unknown[] = [];
  rows.forEach((row, rowIndex) => {
    const { elements, options } = splitRow(row);
    const result: unknown[] = [];
    elements.forEach((element, position) => {
      if (element === '...') {
        const remaining = elements.length - position - 1;
        const fill = previous.slice(result.length, previous.length - remaining);
        if (fill.length === 0) throw new MetricRowError(`metrics[${rowIndex}]: "..." has no previous row to repeat`);
        result.push(...fill);
      } else if (element === '.') {
        if (result.length >= previous.length) {
          throw new MetricRowError(`metrics[${rowIndex}][${position}]: "." has no element at this position in the previous row`);
        }
        result.push(previous[result.length]);
      } else {
        result.push(element);
      }
    });
    // Expression rows have no positional elements; they neither use nor replace the row to repeat from.
    if (result.length > 0) previous = result;
    expanded.push(Object.keys(options).length > 0 ? [...result, options] : result);
  });
  return expanded;
}

export interface WidgetDefaults {
  stat?: string;
  period?: number;
}

/** Parses a widget's metrics array (shorthand included) into series with ids, labels and effective stat/period. */
export function parseMetricRows(rows: readonly (readonly unknown[])[], defaults: WidgetDefaults = {}): Series[] {
  return expandShorthand(rows).map((row, index) => {
    const { elements, options } = splitRow(row);
    const id = options.id ?? `m${index + 1}`;
    const common = {
      id,
      color: options.color,
      yAxis: options.yAxis === 'right' ? ('right' as const) : ('left' as const),
      visible: options.visible !== false,
    };
    if (options.expression !== undefined) {
      return { ...common, kind: 'expression' as const, expression: options.expression, label: options.label ?? options.expression };
    }
    if (elements.length < 2 || elements.length % 2 !== 0 || !elements.every((e) => typeof e === 'string')) {
      throw new MetricRowError(
        `metrics[${index}]: expected [namespace, metricName, dimensionName, dimensionValue, ..., {options}], got ${JSON.stringify(row)}`,
      );
    }
    const [namespace, metricName, ...pairs] = elements as string[];
    const dimensions: Record<string, string> = {};
    for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i]] = pairs[i + 1];
    return {
      ...common,
      kind: 'metric' as const,
      namespace,
      metricName,
      dimensions,
      stat: options.stat ?? defaults.stat ?? DEFAULT_STAT,
      period: options.period ?? defaults.period ?? DEFAULT_PERIOD_SECONDS,
      label: options.label ?? metricName,
    };
  });
}
