import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { IAlarmActionStrategy } from './alarm-actions';
import { AlarmNaming, SeverityAlarms, createThresholdAlarms } from './alarms';
import { MetricFactory } from './metric-factory';
import { ThresholdPair } from './thresholds';

/**
 * Names of the EMF metrics the inference handler publishes (namespace `MLOps/<team>`, dimension set [Model], and
 * [Model, ModelVersion] when a version is served): lambdas/inference/telemetry.ts.
 */
export const INFERENCE_METRIC_NAMES = {
  /** Requests served, any outcome. */
  invocations: 'Invocations',
  /** Handler latency in milliseconds, model run included. */
  latency: 'InvocationLatency',
  /** Requests that failed on the server side (5xx). */
  errors: 'InvocationErrors',
  /** Requests rejected as invalid (4xx). */
  clientErrors: 'ClientErrors',
  /** Rows predicted (a request may carry several). */
  predictions: 'Predictions',
  /** Rows predicted as the positive class. */
  predictedPositive: 'PredictedPositive',
  /** Rows a multiclass model predicted as one class (dimensions Model, Class = String(label)). */
  classPredictions: 'ClassPredictions',
  /** Rows handed to the capture stream. */
  capturedRecords: 'CapturedRecords',
  /** Rows the capture stream refused. */
  captureFailed: 'CaptureFailed',
  /** Failed model loads (artifact missing, sha256 mismatch, bad archive). */
  modelLoadErrors: 'ModelLoadErrors',
  /**
   * Milliseconds a new environment took to be ready (process start to the model's session created), one value per
   * model loaded: its sample count is the number of cold starts.
   */
  modelLoadTime: 'ModelLoadTime',
} as const;

/** Props of {@link InferenceMonitoring}: which metrics to watch and the thresholds of their alarms. */
export interface InferenceMonitoringProps {
  /** The served model: the `Model` dimension of every metric and the model part of alarm names. */
  readonly modelName: string;
  /** CloudWatch namespace of the handler's EMF metrics, `MLOps/<team>`. */
  readonly metricsNamespace: string;
  /** How the alarms are named (`<team>-<model>-<what>-<severity>`). */
  readonly naming: AlarmNaming;
  /** p99 latency thresholds in milliseconds. */
  readonly latencyP99Ms: ThresholdPair;
  /** Server-error rate thresholds in percent of requests. */
  readonly errorRatePercent: ThresholdPair;
  /** @default - no actions */
  readonly actions?: IAlarmActionStrategy;
  /**
   * Failures the handler cannot count itself (a crash, a timeout), e.g. Lambda's `Errors` of the live alias; added to
   * the handler's `InvocationErrors` in the error rate.
   * @default - only the handler's own count
   */
  readonly platformErrors?: cloudwatch.IMetric;
  /**
   * Requests as the platform counts them (also those that crashed before the handler could count them), the
   * denominator of the error rate.
   * @default - the handler's `Invocations`
   */
  readonly platformInvocations?: cloudwatch.IMetric;
}

/** Latency and error alarms evaluate 1-minute periods; 3 bad minutes out of 5 fire, so a canary bake can trip them. */
const PERIOD = Duration.minutes(1);
const EVALUATION_PERIODS = 5;
const DATAPOINTS_TO_ALARM = 3;

/**
 * The metrics and alarms of an inference tier, shared by the Lambda and EKS tiers (both run the same handler and
 * publish the same EMF metrics): a metric factory over the handler's metrics, and Warning/Critical alarms on p99
 * latency and server-error rate built from the team config's thresholds.
 */
export class InferenceMonitoring extends Construct {
  /** The p99 latency alarms, one per severity whose threshold is set. */
  readonly latencyAlarms: SeverityAlarms;
  /** The server-error rate alarms, one per severity whose threshold is set. */
  readonly errorRateAlarms: SeverityAlarms;
  /** The p99 latency thresholds (ms) the alarms were built from. */
  readonly latencyP99Ms: ThresholdPair;
  /** The error-rate thresholds (%) the alarms were built from. */
  readonly errorRatePercent: ThresholdPair;
  private readonly metrics: MetricFactory;
  private readonly platformErrors?: cloudwatch.IMetric;
  private readonly platformInvocations?: cloudwatch.IMetric;

  constructor(scope: Construct, id: string, props: InferenceMonitoringProps) {
    super(scope, id);
    this.metrics = new MetricFactory({
      namespace: props.metricsNamespace,
      dimensions: { Model: props.modelName },
      period: PERIOD,
    });
    this.platformErrors = props.platformErrors;
    this.platformInvocations = props.platformInvocations;
    this.latencyP99Ms = props.latencyP99Ms;
    this.errorRatePercent = props.errorRatePercent;

    const common = {
      naming: props.naming,
      actions: props.actions,
      evaluationPeriods: EVALUATION_PERIODS,
      datapointsToAlarm: DATAPOINTS_TO_ALARM,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    };
    this.latencyAlarms = createThresholdAlarms(this, {
      ...common,
      metric: this.metricLatency({ statistic: cloudwatch.Stats.p(99) }),
      thresholds: props.latencyP99Ms,
      what: 'latency-p99',
      description: `p99 inference latency of ${props.modelName} (ms)`,
    });
    this.errorRateAlarms = createThresholdAlarms(this, {
      ...common,
      metric: this.metricErrorRate(),
      thresholds: props.errorRatePercent,
      what: 'error-rate',
      description: `server-error rate of ${props.modelName} (% of requests)`,
    });
  }

  /** The Critical alarms: what a deployment watches during its canary bake. */
  get criticalAlarms(): cloudwatch.Alarm[] {
    return [this.latencyAlarms.Critical, this.errorRateAlarms.Critical].filter(isAlarm);
  }

  /** The Warning alarms: shown on the dashboard and sent to the alarm actions, never a reason to roll back. */
  get warningAlarms(): cloudwatch.Alarm[] {
    return [this.latencyAlarms.Warning, this.errorRateAlarms.Warning].filter(isAlarm);
  }

  /** Requests the handler served (any outcome). Sum per minute by default. */
  metricInvocations(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(
      INFERENCE_METRIC_NAMES.invocations,
      { statistic: cloudwatch.Stats.SUM, unit: cloudwatch.Unit.COUNT, label: 'Requests' },
      props,
    );
  }

  /** Handler latency in milliseconds (model run included). p99 by default. */
  metricLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(
      INFERENCE_METRIC_NAMES.latency,
      { statistic: cloudwatch.Stats.p(99), unit: cloudwatch.Unit.MILLISECONDS, label: 'Latency p99' },
      props,
    );
  }

  /** Requests that failed on the server side (5xx). Sum per minute by default. */
  metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(
      INFERENCE_METRIC_NAMES.errors,
      { statistic: cloudwatch.Stats.SUM, unit: cloudwatch.Unit.COUNT, label: 'Server errors' },
      props,
    );
  }

  /** Requests rejected as invalid (4xx). Sum per minute by default. */
  metricClientErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(
      INFERENCE_METRIC_NAMES.clientErrors,
      { statistic: cloudwatch.Stats.SUM, unit: cloudwatch.Unit.COUNT, label: 'Client errors' },
      props,
    );
  }

  /** Rows predicted (a request may carry several). Sum per minute by default. */
  metricPredictions(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(
      INFERENCE_METRIC_NAMES.predictions,
      { statistic: cloudwatch.Stats.SUM, unit: cloudwatch.Unit.COUNT, label: 'Rows predicted' },
      props,
    );
  }

  /** Rows predicted as the positive class. Sum per minute by default. */
  metricPredictedPositive(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(
      INFERENCE_METRIC_NAMES.predictedPositive,
      { statistic: cloudwatch.Stats.SUM, unit: cloudwatch.Unit.COUNT, label: 'Predicted positive' },
      props,
    );
  }

  /** Rows a multiclass model predicted as `label` (dimension Class = String(label)). Sum per minute by default. */
  metricClassPredictions(label: string | number, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(
      INFERENCE_METRIC_NAMES.classPredictions,
      { statistic: cloudwatch.Stats.SUM, unit: cloudwatch.Unit.COUNT, dimensionsMap: { Class: String(label) }, label: String(label) },
      props,
    );
  }

  /** Rows handed to the capture stream. Sum per minute by default. */
  metricCapturedRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(
      INFERENCE_METRIC_NAMES.capturedRecords,
      { statistic: cloudwatch.Stats.SUM, unit: cloudwatch.Unit.COUNT, label: 'Rows captured' },
      props,
    );
  }

  /** Rows the capture stream refused (lost for drift monitoring, not for the caller). Sum per minute by default. */
  metricCaptureFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(
      INFERENCE_METRIC_NAMES.captureFailed,
      { statistic: cloudwatch.Stats.SUM, unit: cloudwatch.Unit.COUNT, label: 'Capture failures' },
      props,
    );
  }

  /** Failed model loads (artifact missing, sha256 mismatch, bad archive). Sum per minute by default. */
  metricModelLoadErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(
      INFERENCE_METRIC_NAMES.modelLoadErrors,
      { statistic: cloudwatch.Stats.SUM, unit: cloudwatch.Unit.COUNT, label: 'Model load errors' },
      props,
    );
  }

  /** Time a new environment took to be ready, one value per cold start. Maximum per minute by default. */
  metricModelLoadTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(
      INFERENCE_METRIC_NAMES.modelLoadTime,
      { statistic: cloudwatch.Stats.MAXIMUM, unit: cloudwatch.Unit.MILLISECONDS, label: 'Model load time' },
      props,
    );
  }

  /** Server errors (the handler's and the platform's) in percent of requests; no data while there is no traffic. */
  metricErrorRate(props?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    const errors = this.platformErrors ? 'FILL(errors, 0) + FILL(platformErrors, 0)' : 'FILL(errors, 0)';
    return this.metrics.expression({
      expression: `100 * (${errors}) / requests`,
      usingMetrics: {
        errors: this.metricErrors(),
        requests: this.platformInvocations ?? this.metricInvocations(),
        ...(this.platformErrors ? { platformErrors: this.platformErrors } : {}),
      },
      label: 'Server error rate (%)',
      ...props,
    });
  }

  /** Share of predicted rows that are positive, in percent: a shift here is often the first sign of drift. */
  metricPredictedPositiveRate(props?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return this.metrics.expression({
      expression: '100 * positive / rows',
      usingMetrics: { positive: this.metricPredictedPositive(), rows: this.metricPredictions() },
      label: 'Predicted positive (%)',
      ...props,
    });
  }
}

function isAlarm(alarm: cloudwatch.Alarm | undefined): alarm is cloudwatch.Alarm {
  return alarm !== undefined;
}
