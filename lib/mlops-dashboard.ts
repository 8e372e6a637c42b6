import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { DriftMonitor } from './drift-monitor';
import type { IInferenceTier } from './inference-tier';
import { IModelRegistry, ModelRegistry } from './model-registry';
import type { ModelQuality } from './model-quality';
import { throwOnPropProblems } from './private/prop-problems';
import type { OperationsAlarms } from './monitoring/operations-alarms';
import { rowWidths, thresholdAnnotations } from './monitoring/widgets';

/** Props of {@link MlopsDashboard}: the parts of the team stack whose metrics and alarms it shows. */
export interface MlopsDashboardProps {
  /** The team; the dashboard is named `mlops-<team>`. */
  readonly team: string;
  /** The model the dashboard is about, named in its title. */
  readonly modelName: string;
  /** The training pipeline's state machine: its runs are graphed per hour by outcome. */
  readonly trainingPipeline: sfn.IStateMachine;
  /**
   * The deployment state machine, graphed next to the training runs.
   * @default - none: the tier has no deployment flow (EKS rolls out by stack deployment), so no deployments graph
   */
  readonly deploymentFlow?: sfn.IStateMachine;
  /** The inference tier: traffic, latency and errors with its alarm thresholds, and what the model predicts. */
  readonly inference: IInferenceTier;
  /** The drift monitor: drift per feature and of the predicted classes, with its thresholds. */
  readonly driftMonitor: DriftMonitor;
  /**
   * Model quality on ground truth: the served version's measures with their alarm thresholds, every version's measures
   * over time, and how many labels joined a prediction.
   * @default - no quality row
   */
  readonly modelQuality?: ModelQuality;
  /**
   * The registry. A `ModelRegistry` of this stack adds its event publishing (transitions published, undelivered
   * events); an imported one has no functions here to graph.
   */
  readonly registry: IModelRegistry;
  /**
   * The platform's operations alarms: graphed in the Operations row and listed in the alarm status widget.
   * @default - no Operations row
   */
  readonly operationsAlarms?: OperationsAlarms;
  /**
   * The dead-letter queue alarms (lib/private/queues.ts), each on its queue's depth: the depth is graphed and the
   * alarm listed.
   * @default - none
   */
  readonly deadLetterAlarms?: readonly cloudwatch.Alarm[];
  /**
   * Time range the dashboard opens with.
   * @default Duration.days(1)
   */
  readonly defaultRange?: Duration;
}

/** Height of a graph row, in grid units. */
const GRAPH_HEIGHT = 6;
/** Pipeline and deployment runs are rare: count them per hour. */
const RUN_PERIOD = Duration.hours(1);
/** Inference traffic is graphed per minute, the alarms' period. */
const TRAFFIC_PERIOD = Duration.minutes(1);

/**
 * One CloudWatch dashboard per team, `mlops-<team>`, on the 24-column grid, from standard widgets only (the local
 * twin's console draws the same body): training and deployment runs, registry activity, inference traffic, latency
 * and errors with the alarm thresholds drawn in, what the model predicts (a binary classifier's positive share, a
 * multiclass one's rows per class), drift per feature and of the predicted classes with its thresholds, and the state
 * of every alarm. Thresholds are rendered from the same fields the alarms were built from.
 */
export class MlopsDashboard extends Construct {
  /** The CloudWatch dashboard `mlops-<team>`. */
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MlopsDashboardProps) {
    super(scope, id);
    throwOnPropProblems(
      this,
      /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/.test(props.team)
        ? []
        : [`team must be 3-32 lowercase letters, digits or '-', starting with a letter, got: "${props.team}"`],
    );
    const { inference, driftMonitor: drift } = props;

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `mlops-${props.team}`,
      defaultInterval: props.defaultRange ?? Duration.days(1),
    });

    this.addRow(
      (width) =>
        new cloudwatch.TextWidget({
          markdown: [
            `# MLOps: team ${props.team}, model ${props.modelName}`,
            "Training runs, registry activity, the live model's traffic and drift. Threshold lines are the team " +
              "config's alarm thresholds; a drifted-feature share at or above its line starts a retraining (once per cooldown)" +
              (drift.predictionDriftAlarms.Critical ? ', as does a PSI of the predicted classes at its Critical line.' : '.'),
          ].join('\n\n'),
          width,
          height: 2,
        }),
    );

    this.addRow(
      graph('Training pipeline runs (per hour)', executions(props.trainingPipeline)),
      ...(props.deploymentFlow ? [graph('Deployments (per hour)', executions(props.deploymentFlow))] : []),
      registryWidget(props.registry),
    );

    this.addRow(
      graph('Inference requests (per minute)', [
        inference.metricInvocations({ period: TRAFFIC_PERIOD }),
        inference.metricErrors({ period: TRAFFIC_PERIOD }),
        inference.metricClientErrors({ period: TRAFFIC_PERIOD }),
        inference.metricModelLoadErrors({ period: TRAFFIC_PERIOD }),
      ]),
      graph(
        'Inference latency (ms)',
        [
          inference.metricLatency({ statistic: cloudwatch.Stats.p(50), label: 'p50', period: TRAFFIC_PERIOD }),
          inference.metricLatency({ statistic: cloudwatch.Stats.p(99), label: 'p99', period: TRAFFIC_PERIOD }),
        ],
        thresholdAnnotations(inference.latencyP99Ms, 'p99'),
      ),
      graph(
        'Server error rate (%)',
        [inference.metricErrorRate({ period: TRAFFIC_PERIOD })],
        thresholdAnnotations(inference.errorRatePercent, 'error rate'),
      ),
      coldStartsWidget(inference),
    );

    this.addRow(
      ...predictionWidgets(inference, drift),
      graph('Captured for drift monitoring (rows per minute)', [
        inference.metricCapturedRecords({ period: TRAFFIC_PERIOD }),
        inference.metricCaptureFailed({ period: TRAFFIC_PERIOD }),
        inference.captureStream.metricIncomingRecords({ period: TRAFFIC_PERIOD, label: 'Received by the capture stream' }),
      ]),
      (width) =>
        new cloudwatch.SingleValueWidget({
          title: 'Captured rows in the last drift window',
          metrics: [drift.metricDriftSampleCount()],
          width,
          height: GRAPH_HEIGHT,
        }),
    );

    const featureNames = drift.features.map((f) => f.name);
    const numericFeatures = drift.features.filter((f) => f.type === 'numeric').map((f) => f.name);
    this.addRow(
      graph(
        'Drift: PSI per feature',
        featureNames.map((name) => drift.metricFeaturePsi(name)),
        thresholdAnnotations(drift.psiThresholds, 'PSI'),
      ),
      graph(
        'Drift: drifted feature share',
        [drift.metricDriftedFeatureShare()],
        thresholdAnnotations({ critical: drift.driftedFeatureShareThreshold }, 'retraining'),
      ),
      ...(drift.task === 'regression'
        ? []
        : [graph('Drift: PSI of the predicted classes', [drift.metricPredictionDriftPsi()], thresholdAnnotations(drift.psiThresholds, 'PSI'))]),
    );
    if (numericFeatures.length > 0) {
      this.addRow(
        graph(
          'Drift: KS statistic per numeric feature',
          numericFeatures.map((name) => drift.metricFeatureKsStatistic(name)),
        ),
      );
    }

    if (props.modelQuality) this.addRow(...qualityWidgets(props.modelQuality));

    const operations = props.operationsAlarms;
    const deadLetterAlarms = props.deadLetterAlarms ?? [];
    if (operations) {
      this.addRow(
        graph(
          'Dead letters (messages visible per queue)',
          deadLetterAlarms.map((alarm) => alarm.metric),
          thresholdAnnotations({ critical: 1 }, 'dead letters'),
        ),
        graph(
          'Registry events: stream iterator age (ms)',
          [operations.streamIteratorAgeMetric],
          thresholdAnnotations(operations.streamIteratorAgeThresholdsMs, 'iterator age'),
        ),
        graph('Approval API server errors (per 5 minutes)', [operations.approvalApiServerErrorsMetric], thresholdAnnotations(operations.approvalApiServerErrorsThresholds, '5xx')),
      );
    }

    this.addRow(
      (width) =>
        new cloudwatch.AlarmStatusWidget({
          title: 'Alarms',
          alarms: [...inference.alarms, ...inference.warningAlarms, ...drift.alarms, ...(props.modelQuality?.alarms ?? []), ...(operations?.alarms ?? []), ...deadLetterAlarms],
          sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
          width,
          height: GRAPH_HEIGHT,
        }),
    );
  }

  /** Adds one row; the row decides the widths so that every row fills the 24 columns. */
  private addRow(...widgets: WidgetOfWidth[]): void {
    const widths = rowWidths(widgets.length);
    this.dashboard.addWidgets(...widgets.map((widget, i) => widget(widths[i])));
  }
}

/** A widget waiting for the width its row gives it. */
type WidgetOfWidth = (width: number) => cloudwatch.IWidget;

function graph(
  title: string,
  metrics: cloudwatch.IMetric[],
  annotations: cloudwatch.HorizontalAnnotation[] = [],
): WidgetOfWidth {
  return (width) =>
    new cloudwatch.GraphWidget({
      title,
      left: metrics,
      leftAnnotations: annotations,
      width,
      height: GRAPH_HEIGHT,
      legendPosition: cloudwatch.LegendPosition.BOTTOM,
    });
}

/**
 * New environments (Lambda cold starts, new pods) per minute, and the slowest one's time to be ready: what provisioned
 * concurrency would save the requests that wait for one.
 */
function coldStartsWidget(inference: IInferenceTier): WidgetOfWidth {
  return (width) =>
    new cloudwatch.GraphWidget({
      title: 'Cold starts: time to be ready (ms) and count',
      left: [inference.metricModelLoadTime({ period: TRAFFIC_PERIOD, label: 'slowest time to ready (ms)' })],
      right: [inference.metricModelLoadTime({ statistic: cloudwatch.Stats.SAMPLE_COUNT, period: TRAFFIC_PERIOD, label: 'cold starts' })],
      width,
      height: GRAPH_HEIGHT,
      legendPosition: cloudwatch.LegendPosition.BOTTOM,
    });
}

/**
 * What the model predicts, per minute: a binary classifier's share of positive rows, a multiclass one's rows per
 * class (one line per class of the config), nothing for a regressor (its predictions are numbers, not classes).
 */
function predictionWidgets(inference: IInferenceTier, drift: DriftMonitor): WidgetOfWidth[] {
  if (drift.task === 'binary-classification') {
    return [graph('Predicted positive (% of rows)', [inference.metricPredictedPositiveRate({ period: TRAFFIC_PERIOD })])];
  }
  if (drift.task === 'multiclass-classification') {
    const classes = drift.classes ?? [];
    return [graph('Predictions per class (rows per minute)', classes.map((label) => inference.metricClassPredictions(label, { period: TRAFFIC_PERIOD })))];
  }
  return [];
}

/**
 * Quality on labelled predictions: the served version's measures (what the alarms watch, threshold lines drawn), each
 * version's over time (one line per version: live, canary and retired ones side by side), and the labels joined
 * against those that found no captured prediction.
 */
function qualityWidgets(quality: ModelQuality): WidgetOfWidth[] {
  const measures = quality.measures;
  // One graph per measure would crowd the row; the served version's graph holds all, annotated with each measure's levels.
  const annotations = measures.flatMap((measure) => thresholdAnnotations(quality.thresholds[measure] ?? {}, measure));
  return [
    graph('Quality of the served version (labelled predictions)', measures.map((measure) => quality.metricQuality(measure)), annotations),
    graph(`Quality per version: ${measures[0]}`, [quality.metricQualityPerVersion(measures[0])]),
    graph('Labels joined (served version) and unmatched', [quality.metricLabelledPredictions(), quality.metricUnmatchedLabels()]),
  ];
}

function executions(machine: sfn.IStateMachine): cloudwatch.IMetric[] {
  const options = { period: RUN_PERIOD, statistic: cloudwatch.Stats.SUM };
  return [
    machine.metricStarted({ ...options, label: 'Started' }),
    machine.metricSucceeded({ ...options, label: 'Succeeded' }),
    machine.metricFailed({ ...options, label: 'Failed' }),
    machine.metricTimedOut({ ...options, label: 'Timed out' }),
    machine.metricAborted({ ...options, label: 'Aborted' }),
  ];
}

/**
 * The registry emits no metric of its own; a registry of this stack shows its event publishing instead: the
 * stream publisher runs once per batch of audit rows (version registered or moved between stages).
 */
function registryWidget(registry: IModelRegistry): WidgetOfWidth {
  if (!(registry instanceof ModelRegistry)) {
    return (width) =>
      new cloudwatch.TextWidget({
        markdown: '### Registry\nImported from another stack: its publishing metrics are on that stack\'s dashboard.',
        width,
        height: GRAPH_HEIGHT,
      });
  }
  return graph('Registry activity (per hour)', [
    registry.streamPublisher.metricInvocations({
      period: RUN_PERIOD,
      statistic: cloudwatch.Stats.SUM,
      label: 'Registry changes published (stream publisher runs; one per batch of version transitions)',
    }),
    registry.metricPublishErrors({ period: RUN_PERIOD, label: 'Publisher errors' }),
    registry.metricUndeliveredEvents({ period: RUN_PERIOD, label: 'Undelivered registry events' }),
    registry.metricMalformedAuditRows({ period: RUN_PERIOD, label: 'Audit rows that could not become an event' }),
  ]);
}
