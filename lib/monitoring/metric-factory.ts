import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/** Props of {@link MetricFactory}: the namespace and the defaults its metrics share. */
export interface MetricFactoryProps {
  /** CloudWatch namespace of every metric the factory builds. */
  readonly namespace: string;
  /**
   * Dimensions every metric carries (e.g. `{ Model: 'card-fraud' }`); a metric's own dimensions are added to them.
   * @default - none
   */
  readonly dimensions?: Record<string, string>;
  /**
   * The period of every metric and expression unless the caller gives one.
   * @default Duration.minutes(1)
   */
  readonly period?: Duration;
}

/**
 * Builds the metrics of one namespace with shared dimension and period defaults, as cdk-monitoring-constructs'
 * MetricFactory does: the caller's options always win over the defaults.
 */
export class MetricFactory {
  /** The CloudWatch namespace of every metric the factory builds. */
  readonly namespace: string;
  private readonly dimensions: Record<string, string>;
  private readonly period: Duration;

  constructor(props: MetricFactoryProps) {
    this.namespace = props.namespace;
    this.dimensions = props.dimensions ?? {};
    this.period = props.period ?? Duration.minutes(1);
  }

  /** A metric of the namespace; `defaults` are the metric's own (statistic, unit, label), `options` the caller's. */
  metric(metricName: string, defaults: cloudwatch.MetricOptions, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.namespace,
      metricName,
      period: this.period,
      ...defaults,
      ...options,
      dimensionsMap: { ...this.dimensions, ...defaults.dimensionsMap, ...options.dimensionsMap },
    });
  }

  /** A metric-math expression with the factory's period unless the caller gives one. */
  expression(props: cloudwatch.MathExpressionProps): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({ period: this.period, ...props });
  }
}
