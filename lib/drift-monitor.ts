import { Annotations, Aws, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { byomBaselineKey, byomBaselineValuesPrefix, capturePrefix, driftReportsPrefix, processedPrefix } from '../contracts/storage-layout';
import { driftMemoryFit } from '../contracts/drift-memory';
import { DEFAULT_BYTES_PER_CHUNK, driftRunPrefix } from '../contracts/drift-summary';
import { TRAINING_PIPELINE_SPEC } from '../contracts/training-pipeline-spec';
import type { IArtifactStore } from './artifact-store';
import type { IModelRegistry } from './model-registry';
import { IAlarmActionStrategy } from './monitoring/alarm-actions';
import { MAX_ALARM_PERIOD, SeverityAlarms, alarmNamingOf, alarmNamingProblems, createThresholdAlarms } from './monitoring/alarms';
import { MetricFactory } from './monitoring/metric-factory';
import { rangeProblem, throwOnPropProblems } from './private/prop-problems';
import { ThresholdPair, thresholdProblems } from './monitoring/thresholds';
import { executionsEnded } from './monitoring/operations-alarms';
import { MlopsFunction } from './private/mlops-function';
import { acknowledge, acknowledgePolicyWildcards } from './private/nag';
import { deadLetterQueue, ruleTargetOptions } from './private/queues';
import { retrainOnAlarms } from './private/retrain-on-alarms';
import { acknowledgeStateMachineRole, lambdaStep, monitoredStateMachine } from './private/state-machines';
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
   * Capture object bytes (as stored, gzip'd or not) one function summarizes (1 KiB-1 GiB). A window of more is split
   * into chunks of whole objects, summarized in parallel by the drift state machine's Distributed Map and merged; a
   * window of at most this much is judged by the first function alone.
   * @default 64 MiB
   */
  readonly bytesPerChunk?: number;
  /**
   * Chunks summarized at once (Distributed Map children).
   * @default 10
   */
  readonly maxConcurrency?: number;
  /**
   * Memory (MB, 512-10240) of the run's functions. Beside a reserve of 256 MiB, a function holds the baseline's
   * references (about 40 bytes per baseline value of each numeric feature, up to 10^6 values a feature) and at most half
   * of what is left, up to a quarter of the memory, in feature values, counting them into the baseline's bins whenever
   * that is reached: a chunk of any size fits. A memory that cannot hold 65,536 rows beside the references fails the
   * run with a DriftMemoryError naming the memory to set (docs/scaling.md).
   * @default 2048
   */
  readonly memorySize?: number;
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
 * - a scheduled drift run (a state machine) compares the capture window with the live version's baseline and
 *   publishes PSI and KS per feature, the drifted feature share and the sample count (EMF), and writes a report to
 *   `drift-reports/<model>/`. A window of more than `bytesPerChunk` of capture objects fans out: a Distributed Map
 *   summarizes each chunk (counts that merge exactly) and a last step merges and decides, with the verdicts of a
 *   single pass; a Critical alarm reports runs that failed;
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
  /** The drift run's first step: lists the window, judges a window of one chunk, else plans the fan-out. */
  readonly job: lambda.IFunction;
  /** A drift run: the job, then for a window of several chunks a Distributed Map of summaries and the decide step. */
  readonly stateMachine: sfn.StateMachine;
  /** Critical when a drift run failed, timed out or was aborted (no verdict was published). */
  readonly failedRunsAlarm: cloudwatch.Alarm;
  /** Starts the training pipeline on a drift alarm. */
  readonly retrainTrigger: lambda.IFunction;
  /** The schedule of the job. */
  readonly scheduleRule: events.Rule;
  /** The rule from the drift alarm's state change to the retrain trigger. */
  readonly retrainRule: events.Rule;
  /** Scheduled runs that could not be started, and retrain trigger invocations that failed every retry. */
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
      ...rangeProblem('bytesPerChunk', drift.bytesPerChunk, { min: 1024, max: 1024 * 1024 * 1024, integer: true }),
      ...rangeProblem('maxConcurrency', drift.maxConcurrency, { min: 1, max: 1000, integer: true }),
      ...rangeProblem('memorySize', drift.memorySize, { min: 512, max: 10_240, integer: true }),
      ...classesProblems(props.task, props.classes),
      ...alarmNamingProblems(props),
    ]);
    warnOnDriftMemory(this, drift.memorySize, props.features);
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

    const functions = this.createRunFunctions(props, drift);
    this.job = functions.job;
    this.stateMachine = monitoredStateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(this.runDefinition(functions, props.artifactStore, drift.maxConcurrency)),
      comment: `Drift run of ${props.modelName}: list the capture window, summarize its chunks on a Distributed Map, merge and decide`,
      // A run is due again at the next schedule; one that takes longer is stuck.
      timeout: Duration.hours(1),
    });
    this.acknowledgeRunWildcards(functions, props.artifactStore);

    this.scheduleRule = new events.Rule(this, 'Schedule', {
      description: `Drift run of ${props.modelName}`,
      schedule: events.Schedule.expression(drift.schedule),
      targets: [new targets.SfnStateMachine(this.stateMachine, ruleTargetOptions(this.deadLetterQueue))],
    });
    this.failedRunsAlarm = createThresholdAlarms(this, {
      metric: executionsEnded(this.stateMachine, 'Drift runs failed, timed out or aborted'),
      thresholds: { critical: 1 },
      naming,
      what: 'drift-runs-failed',
      description: `drift runs of ${props.modelName} that failed, timed out or were aborted in 5 minutes (no verdict was published; see the execution history)`,
      evaluationPeriods: 1,
      actions: props.alarmActions,
    }).Critical!;

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

    const retraining = retrainOnAlarms(this, {
      cause: 'drift',
      modelName: props.modelName,
      metricsNamespace: props.metricsNamespace,
      registry: props.registry,
      trainingPipeline: props.trainingPipeline,
      cooldownHours: drift.retrainCooldownHours,
      deadLetterQueue: this.deadLetterQueue,
      alarms: [this.driftAlarm, ...(this.predictionDriftAlarms.Critical ? [this.predictionDriftAlarms.Critical] : [])],
      ruleId: 'RetrainOnDrift',
    });
    this.retrainTrigger = retraining.trigger;
    this.retrainRule = retraining.rule!;
  }

  /** Every alarm of the monitor: the drift alarm, the failed-runs alarm, the predicted-class PSI alarms and the per-feature PSI alarms. */
  get alarms(): cloudwatch.Alarm[] {
    const perFeature = Object.values(this.featureAlarms).flatMap((alarms) => Object.values(alarms));
    return [this.driftAlarm, this.failedRunsAlarm, ...Object.values(this.predictionDriftAlarms), ...perFeature];
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

  /** Lets `grantee` start drift runs by hand and follow them (DescribeExecution, ListMapRuns, DescribeMapRun). */
  grantStartRun(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee).combine(this.stateMachine.grantRead(grantee));
  }

  /**
   * The run's three functions, each with DRIFT_CONFIG: the job (lists the window; judges one chunk, or plans), a
   * chunk's worker and the decide step. All read the baseline; the job and the workers read the capture window; the
   * job and the decide step publish the metrics and write the report; the job writes the chunk list, the workers
   * their summaries, the decide step reads them.
   */
  private createRunFunctions(props: DriftMonitorProps, drift: ReturnType<typeof driftSettings>) {
    const environment = {
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
        bytesPerChunk: drift.bytesPerChunk,
      }),
    } satisfies FunctionEnvironment;
    const fn = (id: string, entry: string, description: string, serviceName: string, timeout: Duration) =>
      new MlopsFunction(this, id, {
        entry: `lambdas/drift/${entry}.handler.ts`,
        description: `${description} (${props.modelName})`,
        serviceName,
        metricsNamespace: props.metricsNamespace,
        timeout,
        // The baseline's references and the feature values held beside them (lambdas/drift/drift-memory.ts).
        memorySize: drift.memorySize,
        environment,
      });
    // The job and the workers read a chunk (up to bytesPerChunk's maximum, 1 GiB of capture): Lambda's longest timeout,
    // paid only as used. The decide step reads the chunks' summaries only.
    const readsChunk = Duration.minutes(15);
    const job = fn('Job', 'job', 'Lists the capture window and judges it against the baseline, or plans its chunks', 'drift-job', readsChunk);
    const summarize = fn('SummarizeChunk', 'summarize-chunk', 'Summarizes one chunk of the capture window', 'drift-summarize-chunk', readsChunk);
    const decide = fn('Decide', 'decide', 'Merges the chunk summaries of a drift run and judges them', 'drift-decide', Duration.minutes(5));
    // Only the job asks the registry which version is live; the other steps get it in their input.
    props.registry.grantRead(job);
    for (const f of [job, summarize, decide]) {
      // The live version's baseline.json: a trained version's, or one registered with `mlops models register --onnx`.
      props.artifactStore.grantRead(f, processedPrefix('*'));
      props.artifactStore.grantRead(f, byomBaselineKey(props.modelName, '*'));
      // Its numeric features' sorted values, beside it (a trained version's are under processed/ already).
      props.artifactStore.grantRead(f, byomBaselineValuesPrefix(props.modelName, '*'));
    }
    for (const f of [job, summarize]) props.artifactStore.grantRead(f, capturePrefix(props.modelName));
    for (const f of [job, decide]) props.artifactStore.grantWrite(f, driftReportsPrefix(props.modelName));
    props.artifactStore.grantWrite(job, driftRunPrefix(props.modelName, '*'));
    props.artifactStore.grantWrite(summarize, driftRunPrefix(props.modelName, '*'));
    props.artifactStore.grantRead(decide, driftRunPrefix(props.modelName, '*'));
    return { job, summarize, decide };
  }

  /** Job; if it planned several chunks, the Distributed Map of their summaries, then the decide step. */
  private runDefinition(
    { job, summarize, decide }: ReturnType<DriftMonitor['createRunFunctions']>,
    artifactStore: IArtifactStore,
    maxConcurrency: number,
  ): sfn.IChainable {
    const run = lambdaStep(this, 'ListWindow', job, {
      comment: 'List the capture window; judge a window of one chunk, else write its chunk list',
      payload: { 'execution.$': '$$.Execution.Name' },
      resultPath: '$.run',
    });
    const chunks = new sfn.DistributedMap(this, 'SummarizeChunks', {
      comment: 'One child per chunk of capture objects: its summary, written beside the run',
      itemReader: new sfn.S3JsonItemReader({ bucket: artifactStore.bucket, key: sfn.JsonPath.stringAt('$.run.plan.chunksKey') }),
      maxConcurrency,
      // The summaries are in S3 (the decide step lists them): the state keeps only the plan, whatever the chunk count.
      resultPath: sfn.JsonPath.DISCARD,
    });
    chunks.itemProcessor(lambdaStep(this, 'Summarize', summarize, { comment: "Summarize one chunk into the run's summaries", payload: { 'chunk.$': '$' }, resultPath: '$' }));
    const decideStep = lambdaStep(this, 'MergeAndDecide', decide, {
      comment: 'Merge the chunk summaries; publish the metrics and write the report',
      payload: { 'plan.$': '$.run.plan' },
      resultPath: '$.run',
    });
    return run.next(
      new sfn.Choice(this, 'FannedOut', { comment: 'Several chunks: summarize them in parallel' })
        .when(sfn.Condition.stringEquals('$.run.status', 'fan-out'), chunks.next(decideStep))
        .otherwise(new sfn.Succeed(this, 'Judged', { comment: 'The job judged the window alone (or had nothing to judge)' })),
    );
  }

  /** The wildcards the Step Functions L2s write for the run's tasks, its item reader and its child executions. */
  private acknowledgeRunWildcards(functions: ReturnType<DriftMonitor['createRunFunctions']>, artifactStore: IArtifactStore): void {
    acknowledgeStateMachineRole(this.stateMachine, [
      ...Object.values(functions).map((fn) => ({
        resource: `${fn.functionArn}:*`,
        reason: 'Invoke of the versions and aliases of this one drift run function (added by the LambdaInvoke task).',
      })),
      {
        resource: `arn:${Aws.PARTITION}:s3:::${artifactStore.bucket.bucketName}/*`,
        reason: "The Distributed Map reads the run's chunk list, whose key (drift-runs/<model>/<execution>/chunks.json) is known only at run time; CDK's S3JsonItemReader grants s3:GetObject on the bucket's objects.",
      },
    ]);
    const childPolicy = this.stateMachine.node.tryFindChild('DistributedMapPolicy');
    if (childPolicy instanceof iam.Policy) {
      acknowledgePolicyWildcards(childPolicy, "The Distributed Map starts, describes and stops its child executions of this one state machine, named at run time (added by CDK's DistributedMap).");
    }
    for (const fn of Object.values(functions)) {
      acknowledge(fn, 'Serverless-LambdaDLQ', 'Invoked synchronously by the drift state machine; a failure fails the run, which the failed-runs alarm reports; there is no event to keep.');
    }
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
    bytesPerChunk: props.bytesPerChunk ?? DEFAULT_BYTES_PER_CHUNK,
    maxConcurrency: props.maxConcurrency ?? 10,
    memorySize: props.memorySize ?? 2048,
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

/**
 * A warning at synth when the drift functions' memory cannot hold the largest baseline the built-in processing writes
 * for the model's numeric features (every value distinct): their runs would fail with a DriftMemoryError once the
 * training data has that many rows. A warning, not an error: a smaller training set, or a team's own processing
 * container, writes smaller baselines, and the run checks the baseline it reads.
 */
function warnOnDriftMemory(scope: Construct, memoryMiB: number, features: readonly FeatureSpec[]): void {
  const values = TRAINING_PIPELINE_SPEC.processing.baselineSampleRows;
  const numeric = features.filter((f) => f.type === 'numeric').map(() => ({ values, distinct: values }));
  const fit = driftMemoryFit(memoryMiB, numeric);
  if ('heldValues' in fit) return;
  Annotations.of(scope).addWarningV2(
    '@mlops-iac/constructs:driftMemory',
    `memorySize ${memoryMiB} MB cannot hold the baselines of ${numeric.length} numeric features once the training data has ${values.toLocaleString('en')} rows ` +
      `(the built-in processing keeps up to that many sorted values a feature): the drift runs would fail with DriftMemoryError. ` +
      `Set the team config's drift.memoryMiB (memorySize) to at least ${fit.neededMiB}.`,
  );
}
