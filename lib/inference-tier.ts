import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { byomArtifactKey, modelOutputPrefix } from '../contracts/storage-layout';
import type { IArtifactStore } from './artifact-store';
import type { IModelRegistry } from './model-registry';
import { IAlarmActionStrategy } from './monitoring/alarm-actions';
import { alarmNamingProblems } from './monitoring/alarms';
import { CaptureStream } from './monitoring/capture-stream';
import { InferenceMonitoring } from './monitoring/inference-monitoring';
import { rangeProblem } from './private/prop-problems';
import { ThresholdPair, thresholdProblems } from './monitoring/thresholds';
import type { FunctionEnvironment } from '../contracts/function-environment';

/** What the dashboard and the deployment flow need from an inference tier, whichever kind it is. */
export interface IInferenceTier extends IConstruct {
  /** The registry model this tier serves (the `Model` dimension of its metrics). */
  readonly modelName: string;
  /** The Critical alarms (p99 latency, error rate): what a deployment watches while it bakes a canary. */
  readonly alarms: cloudwatch.IAlarm[];
  /** The Warning alarms of the same metrics. */
  readonly warningAlarms: cloudwatch.IAlarm[];
  /** The thresholds the alarms were built from, for graph annotations. */
  readonly latencyP99Ms: ThresholdPair;
  /** Server-error rate thresholds in percent, the other half of the alarms' source, for graph annotations. */
  readonly errorRatePercent: ThresholdPair;
  /** Where sampled requests go for drift monitoring. */
  readonly captureStream: CaptureStream;
  /**
   * Requests the handler served, whatever their outcome.
   * @param props - overrides of the metric's defaults (Sum per minute)
   */
  metricInvocations(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
  /**
   * Handler latency in milliseconds, model run included.
   * @param props - overrides of the metric's defaults (p99 per minute)
   */
  metricLatency(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
  /**
   * Requests that failed on the server side (5xx) as the handler counts them.
   * @param props - overrides of the metric's defaults (Sum per minute)
   */
  metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
  /**
   * Requests rejected as invalid (4xx): a caller's problem, so not part of the error rate.
   * @param props - overrides of the metric's defaults (Sum per minute)
   */
  metricClientErrors(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
  /**
   * Rows predicted; a request may carry several rows.
   * @param props - overrides of the metric's defaults (Sum per minute)
   */
  metricPredictions(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
  /**
   * Rows a binary classifier predicted as the positive class.
   * @param props - overrides of the metric's defaults (Sum per minute)
   */
  metricPredictedPositive(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
  /** Rows a multiclass model predicted as `label`. */
  metricClassPredictions(label: string | number, props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
  /**
   * Rows handed to the capture stream for drift monitoring.
   * @param props - overrides of the metric's defaults (Sum per minute)
   */
  metricCapturedRecords(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
  /**
   * Rows the capture stream refused: lost for drift monitoring, not for the caller, who still got a prediction.
   * @param props - overrides of the metric's defaults (Sum per minute)
   */
  metricCaptureFailed(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
  /**
   * Failed model loads (artifact missing, sha256 mismatch, bad archive): the tier cannot serve the version.
   * @param props - overrides of the metric's defaults (Sum per minute)
   */
  metricModelLoadErrors(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
  /**
   * Milliseconds a new environment (a Lambda cold start, a new pod) took to be ready, from its process's start to its
   * model's session created: one value per model loaded, so the sample count is the number of cold starts.
   * @param props - overrides of the metric's defaults (Maximum per minute)
   */
  metricModelLoadTime(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
  /**
   * Server errors in percent of requests (the platform's failures included where the tier can see them); no data
   * while there is no traffic. The error-rate alarms watch it.
   * @param props - overrides of the expression's defaults (one-minute period)
   */
  metricErrorRate(props?: cloudwatch.MathExpressionOptions): cloudwatch.IMetric;
  /**
   * Share of predicted rows that are positive, in percent: a shift here is often the first sign of drift.
   * @param props - overrides of the expression's defaults (one-minute period)
   */
  metricPredictedPositiveRate(props?: cloudwatch.MathExpressionOptions): cloudwatch.IMetric;
}

/** Props both inference tiers take. */
export interface InferenceTierProps {
  /** The registry model this tier serves. */
  readonly modelName: string;
  /** The registry the serving code reads the live version's artifact URI and sha256 from. */
  readonly registry: IModelRegistry;
  /** The bucket of the model artifacts the serving code loads (trained ones and registered archives). */
  readonly artifactStore: IArtifactStore;
  /** CloudWatch namespace of the handler's EMF metrics, `MLOps/<team>`. */
  readonly metricsNamespace: string;
  /**
   * Share of requests captured for drift monitoring, 0-100.
   * @default 10
   */
  readonly captureSamplePercent?: number;
  /**
   * p99 latency thresholds in milliseconds (the team config's `alarms.latencyP99Ms`).
   * @default { warning: 200, critical: 1000 }
   */
  readonly latencyP99Ms?: ThresholdPair;
  /**
   * Server-error rate thresholds in percent (the team config's `alarms.errorRatePercent`).
   * @default { warning: 1, critical: 5 }
   */
  readonly errorRatePercent?: ThresholdPair;
  /**
   * Team name, the first part of every alarm name (`<team>-<model>-<what>-<severity>`).
   * @default - the `<team>` of a `MLOps/<team>` metricsNamespace; required for any other namespace
   */
  readonly team?: string;
  /**
   * What happens when an alarm changes state (see `AlarmNotificationTopic.strategyFor`).
   * @default - no actions: alarms show on the dashboard and emit state-change events
   */
  readonly alarmActions?: IAlarmActionStrategy;
}

/** The p99 latency thresholds (ms) of a tier whose props set none: {@link InferenceTierProps.latencyP99Ms}. */
export const DEFAULT_LATENCY_P99_MS: ThresholdPair = { warning: 200, critical: 1000 };
/** The error-rate thresholds (%) of a tier whose props set none: {@link InferenceTierProps.errorRatePercent}. */
export const DEFAULT_ERROR_RATE_PERCENT: ThresholdPair = { warning: 1, critical: 5 };
/** The share of requests (%) captured when the props set none: {@link InferenceTierProps.captureSamplePercent}. */
export const DEFAULT_CAPTURE_SAMPLE_PERCENT = 10;

/** Problems of the props both tiers share; each tier adds its own and reports them together. */
export function inferenceTierPropProblems(props: InferenceTierProps): string[] {
  return [
    ...rangeProblem('captureSamplePercent', props.captureSamplePercent, { min: 0, max: 100 }),
    ...thresholdProblems('latencyP99Ms', props.latencyP99Ms ?? {}, { min: 1, max: 60_000 }),
    ...thresholdProblems('errorRatePercent', props.errorRatePercent ?? {}, { min: 0, max: 100 }),
    ...alarmNamingProblems(props),
  ];
}

/** Key prefix of trained models (`runs/<execution>/model/...`), where the serving code reads model.tar.gz. */
export const MODEL_ARTIFACTS_PREFIX = modelOutputPrefix('*');

/**
 * The grants of the serving code, the same for both tiers: read the registry (the version's artifact URI and
 * sha256), read model artifacts (trained ones, and the model's archives registered with `mlops models register
 * --onnx` under `byom/<model>/<sha256>/`), and put capture batches on the capture stream.
 */
export function grantServing(
  grantee: iam.IGrantable,
  resources: { modelName: string; registry: IModelRegistry; artifactStore: IArtifactStore; captureStream: CaptureStream },
): iam.Grant {
  return resources.registry
    .grantRead(grantee)
    .combine(resources.artifactStore.grantRead(grantee, MODEL_ARTIFACTS_PREFIX))
    .combine(resources.artifactStore.grantRead(grantee, byomArtifactKey(resources.modelName, '*')))
    .combine(resources.captureStream.grantPutRecordBatch(grantee));
}

/** The environment of the serving code (docs/architecture.md), the same for both tiers. */
export function servingEnvironment(props: InferenceTierProps, captureStream: CaptureStream): Record<string, string> {
  return {
    REGISTRY_TABLE_NAME: props.registry.table.tableName,
    ARTIFACT_BUCKET: props.artifactStore.bucket.bucketName,
    MODEL_NAME: props.modelName,
    // Set per published version by the deployment flow; empty until the first deployment.
    MODEL_VERSION: '',
    CAPTURE_STREAM_NAME: captureStream.deliveryStreamName,
    CAPTURE_SAMPLE_PERCENT: String(props.captureSamplePercent ?? DEFAULT_CAPTURE_SAMPLE_PERCENT),
    METRICS_NAMESPACE: props.metricsNamespace,
  } satisfies FunctionEnvironment;
}

/** The metric methods of both tiers, delegated to their InferenceMonitoring. */
export abstract class InferenceTierBase extends Construct implements IInferenceTier {
  abstract readonly modelName: string;
  abstract readonly captureStream: CaptureStream;
  /** The metrics and alarms the tier's metric methods and alarm lists delegate to. */
  protected abstract readonly monitoring: InferenceMonitoring;

  get alarms(): cloudwatch.IAlarm[] {
    return this.monitoring.criticalAlarms;
  }

  get warningAlarms(): cloudwatch.IAlarm[] {
    return this.monitoring.warningAlarms;
  }

  get latencyP99Ms(): ThresholdPair {
    return this.monitoring.latencyP99Ms;
  }

  get errorRatePercent(): ThresholdPair {
    return this.monitoring.errorRatePercent;
  }

  metricInvocations(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.monitoring.metricInvocations(props);
  }

  metricLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.monitoring.metricLatency(props);
  }

  metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.monitoring.metricErrors(props);
  }

  metricClientErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.monitoring.metricClientErrors(props);
  }

  metricPredictions(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.monitoring.metricPredictions(props);
  }

  metricPredictedPositive(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.monitoring.metricPredictedPositive(props);
  }

  metricClassPredictions(label: string | number, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.monitoring.metricClassPredictions(label, props);
  }

  metricCapturedRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.monitoring.metricCapturedRecords(props);
  }

  metricCaptureFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.monitoring.metricCaptureFailed(props);
  }

  metricModelLoadErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.monitoring.metricModelLoadErrors(props);
  }

  metricModelLoadTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.monitoring.metricModelLoadTime(props);
  }

  metricErrorRate(props?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return this.monitoring.metricErrorRate(props);
  }

  metricPredictedPositiveRate(props?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return this.monitoring.metricPredictedPositiveRate(props);
  }
}
