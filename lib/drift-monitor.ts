import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { byomBaselineKey, byomBaselineValuesPrefix, capturePrefix, driftReportsPrefix, processedPrefix } from '../contracts/storage-layout';
import type { IArtifactStore } from './artifact-store';
import type { IModelRegistry } from './model-registry';
import { IAlarmActionStrategy } from './monitoring/alarm-actions';
import { MAX_ALARM_PERIOD, SeverityAlarms, alarmNamingOf, alarmNamingProblems, createThresholdAlarms } from './monitoring/alarms';
import { MetricFactory } from './monitoring/metric-factory';
import { rangeProblem, throwOnPropProblems } from './private/prop-problems';
import { ThresholdPair, thresholdProblems } from './monitoring/thresholds';
import { MlopsFunction } from './private/mlops-function';
import { deadLetterQueue, ruleTargetOptions } from './private/queues';
import type { FeatureSpec, ModelTask } from '../contracts/team-config';
import type { FunctionEnvironment } from '../contracts/function-environment';

/** Names of the EMF metrics the drift job publishes (namespace `MLOps/<team>`). */
export const DRIFT_METRIC_NAMES = {
  /** Population stability index of a feature (dimensions Model, Feature). */
  featurePsi: 'FeaturePsi',
  /** Two-sample KS statistic D of a numeric feature (dimensions Model, Feature). */
  featureKsStatistic: 'FeatureKsStatistic',
  /** Share of features judged drifted, 0-1 (dimension Model). */
  driftedFeatureShare: 'DriftedFeatureShare',
  /** Captured rows in the window the job compared (dimension Model). */
  driftSampleCount: 'DriftSampleCount',
  /** PSI of the predicted class mix against the training labels' class mix, classifiers only (dimension Model). */
  predictionDriftPsi: 'PredictionDriftPsi',
  /** p-value of the chi-squared test of the predicted classes against that mix, classifiers only (dimension Model). */
  predictionDriftChiSquaredPValue: 'PredictionDriftChiSquaredPValue',
} as const;

/** Props of {@link DriftMonitor}: the model, where its traffic and baselines are, and the drift thresholds. */
export interface DriftMonitorProps {
  /** The registry model whose live version is watched. */
  readonly modelName: string;
  /** The model's features, in the order the model takes them (the team config's `model.features`). */
  readonly features: readonly FeatureSpec[];
  /**
   * The model's task (the team config's `model.task`). A classifier's predicted classes are also compared with the
   * class mix of its training labels, with PSI alarms of their own.
   */
  readonly task: ModelTask;
  /**
   * Class labels of a multiclass model, in the order of its probability columns (the team config's `model.classes`).
   * @default - none; required for a multiclass-classification task, not allowed for others
   */
  readonly classes?: readonly (string | number)[];
  /** The registry: the job reads which version is live (its baseline) and the retrain trigger keeps its cooldown there. */
  readonly registry: IModelRegistry;
  /** Holds the captured traffic, the baselines of the runs, and receives the drift reports. */
  readonly artifactStore: IArtifactStore;
  /** The training pipeline a drift episode starts. */
  readonly trainingPipeline: sfn.IStateMachine;
  /** CloudWatch namespace of the job's EMF metrics, `MLOps/<team>`. */
  readonly metricsNamespace: string;
  /**
   * How often the drift job runs: an EventBridge `rate(...)` or `cron(...)` expression. The alarms' period follows it
   * (see `alarmPeriodOfSchedule`).
   * @default 'rate(1 hour)'
   */
  readonly schedule?: string;
  /**
   * Hours of captured traffic the job compares with the baseline (1-720); older traffic is not compared.
   * @default 24
   */
  readonly windowHours?: number;
  /**
   * Fewest captured rows in the window for a verdict; with fewer the job publishes no drift metric.
   * @default 200
   */
  readonly minSamples?: number;
  /**
   * PSI levels (0-10) of the per-feature and predicted-class alarms; a feature at or above Critical counts as drifted.
   * @default { warning: 0.1, critical: 0.25 }
   */
  readonly psiThresholds?: ThresholdPair;
  /**
   * Share of features judged drifted (above 0, at most 1) that raises the dataset-level alarm and starts a retraining.
   * @default 0.3
   */
  readonly driftedFeatureShare?: number;
  /**
   * Hours (1-720) after a drift-started retraining during which another drift alarm starts none.
   * @default 24
   */
  readonly retrainCooldownHours?: number;
  /**
   * Team name, the first part of every alarm name (`<team>-<model>-<what>-<severity>`).
   * @default - the `<team>` of a `MLOps/<team>` metricsNamespace; required for any other namespace
   */
  readonly team?: string;
  /**
   * The model version the inference tier serves when that is pinned outside the registry's deployment flow (the EKS
   * tier serves the team config's `inference.modelVersion`); the job compares traffic with this version's baseline.
   * @default - the registry's live version
   */
  readonly servedVersion?: number;
  /**
   * What happens when an alarm changes state (see `AlarmNotificationTopic.strategyFor`). The retraining rule
   * listens to the drift alarm's state-change event whatever the actions are.
   * @default - no actions
   */
  readonly alarmActions?: IAlarmActionStrategy;
}

const UNIT_SECONDS: Record<string, number> = { minute: 60, hour: 3600, day: 86_400 };

/**
 * The alarm period that matches a schedule: one run per period. A `rate(...)` gives its own interval (capped at
 * CloudWatch's longest period, one day); a `cron(...)` has no fixed interval, so it is judged per day.
 */
export function alarmPeriodOfSchedule(expression: string): Duration {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (!rate) return MAX_ALARM_PERIOD;
  const seconds = Number(rate[1]) * UNIT_SECONDS[rate[2]];
  return Duration.seconds(Math.min(seconds, MAX_ALARM_PERIOD.toSeconds()));
}

/**
 * Watches the live model for data drift and turns a drift episode into one retraining run:
 * - a scheduled job compares the capture window with the live version's baseline and publishes PSI and KS per
 *   feature, the drifted feature share and the sample count (EMF), and writes a report to `drift-reports/<model>/`;
 * - per-feature PSI alarms (Warning/Critical from `psiThresholds`) and a dataset-level alarm on
 *   `DriftedFeatureShare >= driftedFeatureShare`;
 * - for a classifier, PSI and chi-squared of the predicted classes against the training labels' class mix, and
 *   Warning/Critical alarms on that PSI (from `psiThresholds`). The prediction is not counted as one more feature in the
 *   drifted feature share (it is the model's output, and `driftedFeatureShare` is defined over the inputs); its
 *   Critical alarm starts a retraining of its own, because a predicted class mix this far from the training labels
 *   (a class that became common, or one the model never saw) is drift the model acts on even when no single feature
 *   crossed its threshold. The alarm is on PSI, the size of the shift, not on the chi-squared p-value, which a
 *   window of thousands of rows makes tiny for the model's own bias (an argmax predicts rare classes less often than
 *   they occur in the labels);
 * - a default-bus rule on the dataset-level alarm or the Critical predicted-class alarm entering ALARM invokes the
 *   retrain trigger, which starts the training pipeline unless a retraining started within
 *   `retrainCooldownHours` (conditional write in the registry table): both alarms of one episode start one run.
 */
export class DriftMonitor extends Construct {
  /** The watched model. */
  readonly modelName: string;
  /** The model's features, one PSI graph and alarm pair each. */
  readonly features: readonly FeatureSpec[];
  /** The dataset-level alarm that drives retraining. */
  readonly driftAlarm: cloudwatch.Alarm;
  /** Warning/Critical PSI alarms, by feature name. */
  readonly featureAlarms: Record<string, SeverityAlarms>;
  /** Warning/Critical alarms on the predicted classes' PSI (a classifier's; none for regression). Critical retrains. */
  readonly predictionDriftAlarms: SeverityAlarms;
  /** The model's task: a classifier also has predicted-class drift. */
  readonly task: ModelTask;
  /** Class labels of a multiclass model, as the config lists them. */
  readonly classes?: readonly (string | number)[];
  /** The thresholds the alarms were built from, for graph annotations. */
  readonly psiThresholds: ThresholdPair;
  /** The drifted feature share at which the dataset-level alarm fires, for the graph's annotation. */
  readonly driftedFeatureShareThreshold: number;
  /** The scheduled drift job. */
  readonly job: lambda.IFunction;
  /** Starts the training pipeline on a drift alarm. */
  readonly retrainTrigger: lambda.IFunction;
  /** The schedule of the job. */
  readonly scheduleRule: events.Rule;
  /** The rule from the drift alarm's state change to the retrain trigger. */
  readonly retrainRule: events.Rule;
  /** Events and invocations of the job and the trigger that failed every retry. */
  readonly deadLetterQueue: sqs.IQueue;
  private readonly metrics: MetricFactory;
  private readonly period: Duration;

  constructor(scope: Construct, id: string, props: DriftMonitorProps) {
    super(scope, id);
    const drift = driftSettings(props);
    const names = props.features.map((f) => f.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    throwOnPropProblems(this, [
      ...(props.features.length === 0 ? ['features must list at least one feature, got: []'] : []),
      ...(duplicate ? [`features must have unique names, got "${duplicate}" twice`] : []),
      ...(/^(rate|cron)\(.+\)$/.test(drift.schedule) ? [] : [`schedule must be rate(...) or cron(...), got: "${drift.schedule}"`]),
      ...thresholdProblems('psiThresholds', drift.psi, { min: 0, max: 10 }),
      ...rangeProblem('driftedFeatureShare', drift.driftedFeatureShare, { min: Number.MIN_VALUE, max: 1 }),
      ...rangeProblem('retrainCooldownHours', drift.retrainCooldownHours, { min: 1, max: 720, integer: true }),
      ...rangeProblem('windowHours', drift.windowHours, { min: 1, max: 720, integer: true }),
      ...rangeProblem('minSamples', drift.minSamples, { min: 1, max: Number.MAX_SAFE_INTEGER, integer: true }),
      ...rangeProblem('servedVersion', props.servedVersion, { min: 1, max: Number.MAX_SAFE_INTEGER, integer: true }),
      ...classesProblems(props.task, props.classes),
      ...alarmNamingProblems(props),
    ]);
    this.modelName = props.modelName;
    this.features = props.features;
    this.task = props.task;
    this.classes = props.classes;
    this.psiThresholds = drift.psi;
    this.driftedFeatureShareThreshold = drift.driftedFeatureShare;
    this.period = alarmPeriodOfSchedule(drift.schedule);
    this.metrics = new MetricFactory({
      namespace: props.metricsNamespace,
      dimensions: { Model: props.modelName },
      period: this.period,
    });
    const naming = alarmNamingOf(props);

    // EventBridge delivers to this queue, so it is encrypted with an SQS-managed key (see deadLetterQueue).
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetters');

    const job = new MlopsFunction(this, 'Job', {
      entry: 'lambdas/drift/job.handler.ts',
      description: `Compares captured traffic of ${props.modelName} with the live version's baseline`,
      serviceName: 'drift-job',
      metricsNamespace: props.metricsNamespace,
      timeout: Duration.minutes(5),
      memorySize: 2048,
      deadLetterQueue: this.deadLetterQueue,
      environment: {
        REGISTRY_TABLE_NAME: props.registry.table.tableName,
        ARTIFACT_BUCKET: props.artifactStore.bucket.bucketName,
        MODEL_NAME: props.modelName,
        DRIFT_CONFIG: JSON.stringify({
          windowHours: drift.windowHours,
          minSamples: drift.minSamples,
          psi: drift.psi,
          driftedFeatureShare: drift.driftedFeatureShare,
          features: props.features.map(({ name, type }) => ({ name, type })),
          task: props.task,
          ...(props.classes === undefined ? {} : { classes: props.classes }),
          ...(props.servedVersion === undefined ? {} : { servedVersion: props.servedVersion }),
        }),
      } satisfies FunctionEnvironment,
    });
    props.registry.grantRead(job);
    props.artifactStore.grantRead(job, capturePrefix(props.modelName));
    // The live version's baseline.json: a trained version's, or one registered with `mlops models register --onnx`.
    props.artifactStore.grantRead(job, processedPrefix('*'));
    props.artifactStore.grantRead(job, byomBaselineKey(props.modelName, '*'));
    // Its numeric features' sorted values, beside it (a trained version's are under processed/ already).
    props.artifactStore.grantRead(job, byomBaselineValuesPrefix(props.modelName, '*'));
    props.artifactStore.grantWrite(job, driftReportsPrefix(props.modelName));
    this.job = job;

    this.scheduleRule = new events.Rule(this, 'Schedule', {
      description: `Drift job of ${props.modelName}`,
      schedule: events.Schedule.expression(drift.schedule),
      targets: [new targets.LambdaFunction(job, ruleTargetOptions(this.deadLetterQueue))],
    });

    const featureScope = new Construct(this, 'FeatureAlarms');
    this.featureAlarms = {};
    for (const feature of props.features) {
      this.featureAlarms[feature.name] = createThresholdAlarms(new Construct(featureScope, feature.name), {
        metric: this.metricFeaturePsi(feature.name),
        thresholds: drift.psi,
        naming,
        what: `psi-${feature.name}`,
        description: `PSI of feature ${feature.name} of ${props.modelName}, capture window vs baseline,`,
        evaluationPeriods: 1,
        actions: props.alarmActions,
      });
    }

    this.driftAlarm = createThresholdAlarms(this, {
      metric: this.metricDriftedFeatureShare(),
      thresholds: { critical: drift.driftedFeatureShare },
      naming,
      what: 'drifted-feature-share',
      description: `share of drifted features of ${props.modelName} (starts a retraining)`,
      evaluationPeriods: 1,
      // No run, or too few samples for a verdict, is not evidence of drift.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      actions: props.alarmActions,
    }).Critical!;

    this.predictionDriftAlarms =
      props.task === 'regression'
        ? {}
        : createThresholdAlarms(this, {
            metric: this.metricPredictionDriftPsi(),
            thresholds: drift.psi,
            naming,
            what: 'prediction-psi',
            description: `PSI of the predicted classes of ${props.modelName} against its training labels' class mix (Critical starts a retraining),`,
            evaluationPeriods: 1,
            actions: props.alarmActions,
          });

    const trigger = new MlopsFunction(this, 'RetrainTrigger', {
      entry: 'lambdas/drift/retrain-trigger.handler.ts',
      description: `Starts a retraining of ${props.modelName} when its drift alarm fires (once per cooldown)`,
      serviceName: 'drift-retrain-trigger',
      metricsNamespace: props.metricsNamespace,
      deadLetterQueue: this.deadLetterQueue,
      environment: {
        REGISTRY_TABLE_NAME: props.registry.table.tableName,
        MODEL_NAME: props.modelName,
        TRAINING_STATE_MACHINE_ARN: props.trainingPipeline.stateMachineArn,
        RETRAIN_COOLDOWN_HOURS: String(drift.retrainCooldownHours),
      } satisfies FunctionEnvironment,
    });
    props.trainingPipeline.grantStartExecution(trigger);
    props.registry.grantCooldownWrite(trigger, props.modelName);
    this.retrainTrigger = trigger;

    const retrainingAlarms = [this.driftAlarm, ...(this.predictionDriftAlarms.Critical ? [this.predictionDriftAlarms.Critical] : [])];
    this.retrainRule = new events.Rule(this, 'RetrainOnDrift', {
      description: `Drift alarms of ${props.modelName} in ALARM -> retraining`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        // Any of them: an alarm event lists only its own ARN.
        resources: retrainingAlarms.map((alarm) => alarm.alarmArn),
        detail: { state: { value: ['ALARM'] } },
      },
      targets: [new targets.LambdaFunction(trigger, ruleTargetOptions(this.deadLetterQueue))],
    });
  }

  /** Every alarm of the monitor: the drift alarm, the predicted-class PSI alarms and the per-feature PSI alarms. */
  get alarms(): cloudwatch.Alarm[] {
    const perFeature = Object.values(this.featureAlarms).flatMap((alarms) => Object.values(alarms));
    return [this.driftAlarm, ...Object.values(this.predictionDriftAlarms), ...perFeature];
  }

  /** PSI of one feature, capture window vs baseline. Maximum per schedule period by default. */
  metricFeaturePsi(feature: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    this.assertFeature(feature);
    return this.metrics.metric(
      DRIFT_METRIC_NAMES.featurePsi,
      { statistic: cloudwatch.Stats.MAXIMUM, dimensionsMap: { Feature: feature }, label: feature },
      props,
    );
  }

  /** KS statistic D of one numeric feature. Maximum per schedule period by default. */
  metricFeatureKsStatistic(feature: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    this.assertFeature(feature);
    return this.metrics.metric(
      DRIFT_METRIC_NAMES.featureKsStatistic,
      { statistic: cloudwatch.Stats.MAXIMUM, dimensionsMap: { Feature: feature }, label: feature },
      props,
    );
  }

  /** Share of features judged drifted (0-1). Maximum per schedule period by default. */
  metricDriftedFeatureShare(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(
      DRIFT_METRIC_NAMES.driftedFeatureShare,
      { statistic: cloudwatch.Stats.MAXIMUM, label: 'Drifted feature share' },
      props,
    );
  }

  /** Captured rows the job compared. Maximum per schedule period by default. */
  metricDriftSampleCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(
      DRIFT_METRIC_NAMES.driftSampleCount,
      { statistic: cloudwatch.Stats.MAXIMUM, unit: cloudwatch.Unit.COUNT, label: 'Captured rows in window' },
      props,
    );
  }

  /** PSI of the predicted classes against the training labels' class mix (classifiers). Maximum per schedule period by default. */
  metricPredictionDriftPsi(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    this.assertClassifier();
    return this.metrics.metric(
      DRIFT_METRIC_NAMES.predictionDriftPsi,
      { statistic: cloudwatch.Stats.MAXIMUM, label: 'Predicted classes PSI' },
      props,
    );
  }

  /** Chi-squared p-value of the predicted classes against that mix (classifiers). Minimum per schedule period by default. */
  metricPredictionDriftChiSquaredPValue(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    this.assertClassifier();
    return this.metrics.metric(
      DRIFT_METRIC_NAMES.predictionDriftChiSquaredPValue,
      { statistic: cloudwatch.Stats.MINIMUM, label: 'Predicted classes chi-squared p-value' },
      props,
    );
  }

  /** Start a drift run by hand (the CLI's `mlops drift run`). */
  grantInvokeJob(grantee: iam.IGrantable): iam.Grant {
    return this.job.grantInvoke(grantee);
  }

  private assertClassifier(): void {
    if (this.task === 'regression') throw new Error(`${this.node.path}: a regression model predicts no classes; no predicted-class drift metric`);
  }

  private assertFeature(feature: string): void {
    if (!this.features.some((f) => f.name === feature)) {
      throw new Error(
        `${this.node.path}: no feature "${feature}" in this monitor; known features: ${this.features.map((f) => f.name).join(', ')}`,
      );
    }
  }
}

/** The drift props with their documented defaults (those of the team config's `drift` section). */
function driftSettings(props: DriftMonitorProps) {
  return {
    schedule: props.schedule ?? 'rate(1 hour)',
    windowHours: props.windowHours ?? 24,
    minSamples: props.minSamples ?? 200,
    psi: props.psiThresholds ?? { warning: 0.1, critical: 0.25 },
    driftedFeatureShare: props.driftedFeatureShare ?? 0.3,
    retrainCooldownHours: props.retrainCooldownHours ?? 24,
  };
}

/** Problems of the classes of a task: a multiclass model lists 3 or more distinct classes, other tasks none. */
function classesProblems(task: ModelTask, classes: readonly (string | number)[] | undefined): string[] {
  if (task !== 'multiclass-classification') {
    return classes === undefined ? [] : [`classes apply to a multiclass-classification task, got ${classes.length} classes for ${task}`];
  }
  if (classes === undefined || classes.length < 3) {
    return [`classes must list the 3 or more classes of a multiclass-classification model, got: ${JSON.stringify(classes ?? [])}`];
  }
  const names = classes.map(String);
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  return repeated === undefined ? [] : [`classes must be distinct, got "${repeated}" twice`];
}
