import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FunctionEnvironment } from '../contracts/function-environment';
import { labelsPrefix, QUALITY_MEASURES, QUALITY_METRIC_NAMES, qualityReportsPrefix, type QualityMeasure } from '../contracts/ground-truth';
import { capturePrefix } from '../contracts/storage-layout';
import { LOWER_IS_BETTER, type ModelTask } from '../contracts/team-config';
import type { ApprovalApi } from './approval-api';
import type { IArtifactStore } from './artifact-store';
import { alarmPeriodOfSchedule } from './drift-monitor';
import type { IModelRegistry } from './model-registry';
import type { IAlarmActionStrategy } from './monitoring/alarm-actions';
import { alarmNamingOf, alarmNamingProblems, createThresholdAlarms, type SeverityAlarms } from './monitoring/alarms';
import { MetricFactory } from './monitoring/metric-factory';
import { thresholdProblems, type ThresholdPair } from './monitoring/thresholds';
import { MlopsFunction } from './private/mlops-function';
import { rangeProblem, throwOnPropProblems } from './private/prop-problems';
import { deadLetterQueue, ruleTargetOptions } from './private/queues';
import { retrainOnAlarms } from './private/retrain-on-alarms';

/** Props of {@link ModelQuality}: the model, where its predictions and labels are, and when quality is bad enough to retrain. */
export interface ModelQualityProps {
  /** The model in the registry; the `Model` dimension of the quality metrics. */
  readonly modelName: string;
  /** What the model predicts: decides the measures (binary: AUC, accuracy, log loss; multiclass: accuracy, log loss; regression: RMSE, MAE). */
  readonly task: ModelTask;
  /**
   * Class labels in the order of the model's probability columns, as labels name them.
   * @default - [0, 1] for a binary classifier (the built-in trainer's); required for multiclass-classification
   */
  readonly classes?: readonly (string | number)[];
  /** Feature names in model order: the header of the labelled rows added to the training data. */
  readonly featureNames: readonly string[];
  /** The training data's label column: the last column of the labelled rows. */
  readonly labelColumn: string;
  /** The registry: the job reads which version is live (the one the alarms watch); the retrain trigger keeps its cooldown there. */
  readonly registry: IModelRegistry;
  /** Captured predictions are read, labels read (and written by the feedback route), reports and labelled rows written here. */
  readonly artifactStore: IArtifactStore;
  /** The pipeline a Critical quality alarm starts. */
  readonly trainingPipeline: sfn.IStateMachine;
  /** CloudWatch namespace of the quality metrics (the team's `MLOps/<team>`). */
  readonly metricsNamespace: string;
  /**
   * Key prefix (ending in `/`) of the raw training dataset in the artifact store: joined rows are added under
   * `production-labels/` there, with lineage, so the next training run learns from what production saw.
   * @default - labelled rows are not added to the training data
   */
  readonly trainingDatasetPrefix?: string;
  /**
   * How often the quality job runs: an EventBridge `rate(...)` or `cron(...)` expression; the alarms' period follows it.
   * @default 'rate(1 hour)'
   */
  readonly schedule?: string;
  /**
   * Predictions captured, and labels received, in the last this many hours are joined (1-720).
   * @default 168
   */
  readonly windowHours?: number;
  /**
   * Fewer labelled predictions of a version than this: no measures for it (1 or more).
   * @default 100
   */
  readonly minLabelled?: number;
  /**
   * Warning/Critical levels per measure of the task; below the level is bad for auc and accuracy, above it for logLoss,
   * rmse and mae. A Critical alarm starts a retraining.
   * @default - no quality alarms
   */
  readonly thresholds?: Partial<Record<QualityMeasure, ThresholdPair>>;
  /**
   * Hours (1-720) after a retraining during which a quality alarm starts none. The cooldown item is the drift
   * monitor's (one per model), so drift and quality alarms of one episode start one run.
   * @default 24
   */
  readonly retrainCooldownHours?: number;
  /**
   * The version the inference tier serves when pinned outside the registry (EKS `inference.modelVersion`).
   * @default - the registry's live version
   */
  readonly servedVersion?: number;
  /**
   * Team name, the first part of every alarm name (`<team>-<model>-quality-<measure>-<severity>`).
   * @default - the `<team>` of a `MLOps/<team>` metricsNamespace
   */
  readonly team?: string;
  /**
   * What happens when an alarm changes state. The retraining rule listens to the Critical alarms' state-change
   * events whatever the actions are.
   * @default - no actions
   */
  readonly alarmActions?: IAlarmActionStrategy;
}

/**
 * Watches model quality on ground truth and turns a quality drop into one retraining run:
 * - a scheduled job (lambdas/quality/) joins the labels written under `labels/<model>/` in the window (from the
 *   approval API's feedback route, {@link acceptFeedback}, or dropped by a team's job) to the predictions captured in
 *   the window by prediction id, and publishes per version (dimensions Model, ModelVersion) the labelled count and the
 *   task's measures, and for the served version the same with the Model dimension alone; adds the joined rows to the
 *   training dataset with lineage; writes a report to `quality-reports/<model>/`;
 * - Warning/Critical alarms on the served version's measures, from `thresholds`;
 * - a default-bus rule on a Critical alarm entering ALARM invokes a retrain trigger (the drift trigger's code, as a
 *   quality run) that starts the training pipeline unless a retraining started within the cooldown.
 * The job's schedule and the rule deliver to a dead-letter queue after their retries.
 */
export class ModelQuality extends Construct {
  /** The model watched. */
  readonly modelName: string;
  /** The task, which decides the measures. */
  readonly task: ModelTask;
  /** The measures the job publishes for this task. */
  readonly measures: readonly QualityMeasure[];
  /** The thresholds the alarms were built from, for graph annotations. */
  readonly thresholds: Partial<Record<QualityMeasure, ThresholdPair>>;
  /** The scheduled quality job. */
  readonly job: lambda.IFunction;
  /** Its schedule. */
  readonly scheduleRule: events.Rule;
  /** Warning/Critical alarms per measure that has thresholds. */
  readonly measureAlarms: Partial<Record<QualityMeasure, SeverityAlarms>>;
  /** Starts the training pipeline on a Critical quality alarm. */
  readonly retrainTrigger: lambda.IFunction;
  /** The rule from the Critical alarms' state change to the retrain trigger (absent without Critical thresholds). */
  readonly retrainRule?: events.Rule;
  /** Events and invocations of the job and the trigger that failed every retry. */
  readonly deadLetterQueue: sqs.IQueue;
  private readonly metrics: MetricFactory;
  private readonly period: Duration;
  private readonly artifactStore: IArtifactStore;

  constructor(scope: Construct, id: string, props: ModelQualityProps) {
    super(scope, id);
    const schedule = props.schedule ?? 'rate(1 hour)';
    const windowHours = props.windowHours ?? 168;
    const minLabelled = props.minLabelled ?? 100;
    const retrainCooldownHours = props.retrainCooldownHours ?? 24;
    const thresholds = props.thresholds ?? {};
    const measures: readonly QualityMeasure[] = QUALITY_MEASURES[props.task];
    throwOnPropProblems(this, [
      ...(/^(rate|cron)\(.+\)$/.test(schedule) ? [] : [`schedule must be rate(...) or cron(...), got: "${schedule}"`]),
      ...rangeProblem('windowHours', windowHours, { min: 1, max: 720, integer: true }),
      ...rangeProblem('minLabelled', minLabelled, { min: 1, max: Number.MAX_SAFE_INTEGER, integer: true }),
      ...rangeProblem('retrainCooldownHours', retrainCooldownHours, { min: 1, max: 720, integer: true }),
      ...rangeProblem('servedVersion', props.servedVersion, { min: 1, max: Number.MAX_SAFE_INTEGER, integer: true }),
      ...(props.featureNames.length === 0 ? ['featureNames must list at least one feature, got: []'] : []),
      ...(props.trainingDatasetPrefix === undefined || props.trainingDatasetPrefix.endsWith('/')
        ? []
        : [`trainingDatasetPrefix must be a key prefix ending in "/", got: "${props.trainingDatasetPrefix}"`]),
      ...(props.task === 'multiclass-classification' && (props.classes?.length ?? 0) < 3
        ? [`classes must list the 3 or more classes of a multiclass-classification model, got: ${JSON.stringify(props.classes ?? [])}`]
        : []),
      ...Object.entries(thresholds).flatMap(([measure, pair]) =>
        measures.includes(measure as QualityMeasure)
          ? thresholdProblems(`thresholds.${measure}`, pair, { min: 0, max: Number.MAX_VALUE }, breachOf(measure as QualityMeasure))
          : [`thresholds.${measure}: a ${props.task} model is measured by ${measures.join(', ')}`],
      ),
      ...alarmNamingProblems(props),
    ]);
    this.modelName = props.modelName;
    this.task = props.task;
    this.measures = measures;
    this.thresholds = thresholds;
    this.artifactStore = props.artifactStore;
    this.period = alarmPeriodOfSchedule(schedule);
    this.metrics = new MetricFactory({ namespace: props.metricsNamespace, dimensions: { Model: props.modelName }, period: this.period });
    const naming = alarmNamingOf(props);

    // EventBridge delivers to this queue, so it is encrypted with an SQS-managed key (lib/private/queues.ts).
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetters');

    this.job = this.createJob(props, { windowHours, minLabelled });
    this.scheduleRule = new events.Rule(this, 'Schedule', {
      description: `Model quality job of ${props.modelName}`,
      schedule: events.Schedule.expression(schedule),
      targets: [new targets.LambdaFunction(this.job, ruleTargetOptions(this.deadLetterQueue))],
    });

    const alarmScope = new Construct(this, 'MeasureAlarms');
    this.measureAlarms = {};
    for (const measure of measures) {
      const pair = thresholds[measure];
      if (!pair) continue;
      this.measureAlarms[measure] = createThresholdAlarms(alarmScope, {
        metric: this.metricQuality(measure),
        thresholds: pair,
        naming,
        what: `quality-${kebab(measure)}`,
        description: `${measure} of the served version of ${props.modelName} on its labelled predictions (Critical starts a retraining),`,
        breach: breachOf(measure),
        evaluationPeriods: 1,
        // No run, or too few labels for a measure, is not evidence of a bad model.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        actions: props.alarmActions,
      });
    }

    const critical = Object.values(this.measureAlarms).flatMap((alarms) => (alarms?.Critical ? [alarms.Critical] : []));
    const retraining = retrainOnAlarms(this, {
      cause: 'quality',
      modelName: props.modelName,
      metricsNamespace: props.metricsNamespace,
      registry: props.registry,
      trainingPipeline: props.trainingPipeline,
      cooldownHours: retrainCooldownHours,
      deadLetterQueue: this.deadLetterQueue,
      alarms: critical,
      ruleId: 'RetrainOnQuality',
    });
    this.retrainTrigger = retraining.trigger;
    this.retrainRule = retraining.rule;
  }

  /** Every alarm of the construct: Warning and Critical per measure with thresholds. */
  get alarms(): cloudwatch.Alarm[] {
    return Object.values(this.measureAlarms).flatMap((alarms) => Object.values(alarms ?? {}));
  }

  /**
   * A quality measure of the served version (dimension Model), or of one version (`version`: dimensions Model and
   * ModelVersion). Average per schedule period by default (one value per run).
   */
  metricQuality(measure: QualityMeasure, props?: cloudwatch.MetricOptions & { readonly version?: number }): cloudwatch.Metric {
    if (!this.measures.includes(measure)) {
      throw new Error(`${this.node.path}: a ${this.task} model is measured by ${this.measures.join(', ')}, not ${measure}`);
    }
    const { version, ...options } = props ?? {};
    return this.metrics.metric(
      QUALITY_METRIC_NAMES[measure],
      { statistic: cloudwatch.Stats.AVERAGE, label: measure, ...(version === undefined ? {} : { dimensionsMap: { ModelVersion: String(version) } }) },
      options,
    );
  }

  /**
   * A measure of every version that has one, graphed line by line (a CloudWatch SEARCH over the ModelVersion
   * dimension): a canary version beside the live one, and each version's quality over its life.
   */
  metricQualityPerVersion(measure: QualityMeasure, period?: Duration): cloudwatch.MathExpression {
    const metricName = QUALITY_METRIC_NAMES[measure];
    const graphPeriod = period ?? this.period;
    return this.metrics.expression({
      expression: `SEARCH('{${this.metrics.namespace},Model,ModelVersion} MetricName="${metricName}" Model="${this.modelName}"', 'Average', ${graphPeriod.toSeconds()})`,
      label: `${measure} per version`,
      usingMetrics: {},
      period: graphPeriod,
    });
  }

  /** Labels whose prediction id joined no captured prediction of the window. Maximum per schedule period by default. */
  metricUnmatchedLabels(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(QUALITY_METRIC_NAMES.unmatchedLabels, { statistic: cloudwatch.Stats.MAXIMUM, unit: cloudwatch.Unit.COUNT, label: 'Labels without a captured prediction' }, props);
  }

  /** Labelled predictions of the served version in the window. Maximum per schedule period by default. */
  metricLabelledPredictions(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(QUALITY_METRIC_NAMES.labelledPredictions, { statistic: cloudwatch.Stats.MAXIMUM, unit: cloudwatch.Unit.COUNT, label: 'Labelled predictions (served version)' }, props);
  }

  /**
   * Lets `api` store labels (`POST /models/{model}/labels`): its function gets the artifact store's name and write
   * access to `labels/<model>/feedback/` only. Without it, that route answers 409.
   */
  acceptFeedback(api: ApprovalApi): void {
    api.handler.addEnvironment('ARTIFACT_BUCKET', this.artifactStore.bucket.bucketName);
    this.artifactStore.grantWrite(api.handler, `${labelsPrefix(this.modelName)}feedback/`);
  }

  private createJob(props: ModelQualityProps, settings: { windowHours: number; minLabelled: number }): lambda.IFunction {
    const job = new MlopsFunction(this, 'Job', {
      entry: 'lambdas/quality/job.handler.ts',
      description: `Joins labels to captured predictions of ${props.modelName} and measures its quality per version`,
      serviceName: 'quality-job',
      metricsNamespace: props.metricsNamespace,
      timeout: Duration.minutes(5),
      memorySize: 2048,
      deadLetterQueue: this.deadLetterQueue,
      environment: {
        REGISTRY_TABLE_NAME: props.registry.table.tableName,
        ARTIFACT_BUCKET: props.artifactStore.bucket.bucketName,
        MODEL_NAME: props.modelName,
        QUALITY_CONFIG: JSON.stringify({
          windowHours: settings.windowHours,
          minLabelled: settings.minLabelled,
          task: props.task,
          ...(props.classes === undefined ? {} : { classes: props.classes }),
          features: props.featureNames,
          labelColumn: props.labelColumn,
          ...(props.trainingDatasetPrefix === undefined ? {} : { trainingDatasetPrefix: props.trainingDatasetPrefix }),
          ...(props.servedVersion === undefined ? {} : { servedVersion: props.servedVersion }),
        }),
      } satisfies FunctionEnvironment,
    });
    props.registry.grantRead(job);
    props.artifactStore.grantRead(job, capturePrefix(props.modelName));
    props.artifactStore.grantRead(job, labelsPrefix(props.modelName));
    props.artifactStore.grantWrite(job, qualityReportsPrefix(props.modelName));
    if (props.trainingDatasetPrefix !== undefined) {
      // Read too: the job checks whether a label object's rows were added already (a missing key is a 404 only with ListBucket).
      props.artifactStore.grantReadWrite(job, `${props.trainingDatasetPrefix}production-labels/`);
    }
    return job;
  }
}

/** Which side of a measure's threshold is bad. */
function breachOf(measure: QualityMeasure): 'above' | 'below' {
  return LOWER_IS_BETTER.has(measure) ? 'above' : 'below';
}

/** `logLoss` -> `log-loss`. */
const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
