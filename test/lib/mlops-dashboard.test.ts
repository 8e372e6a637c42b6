import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { DriftMonitor } from '../../lib/drift-monitor';
import { LambdaInference } from '../../lib/lambda-inference';
import { MlopsDashboard } from '../../lib/mlops-dashboard';
import { ModelQuality } from '../../lib/model-quality';
import { planWidget } from '../../console/src/lib/dashboard-model';
import { nagFindings } from './monitoring/nag';
import { multiclassConfig, regressionConfig, teamFixture, type TeamFixture } from './monitoring/team-fixture';

interface Widget {
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a widget's properties are untyped dashboard JSON
  properties: Record<string, any>;
}

function dashboard(f: TeamFixture, team = f.config.team, options: { quality?: boolean } = {}) {
  const { config } = f;
  const machine = (name: string) =>
    sfn.StateMachine.fromStateMachineArn(f.stack, name, `arn:aws:states:eu-west-1:123456789012:stateMachine:${name}`);
  const trainingPipeline = machine('training');
  const inference = new LambdaInference(f.stack, 'Inference', {
    modelName: config.model.name,
    registry: f.registry,
    artifactStore: f.artifactStore,
    metricsNamespace: f.metricsNamespace,
    latencyP99Ms: config.alarms.latencyP99Ms,
    errorRatePercent: config.alarms.errorRatePercent,
  });
  const driftMonitor = new DriftMonitor(f.stack, 'Drift', {
    modelName: config.model.name,
    features: config.model.features,
    task: config.model.task,
    classes: config.model.classes,
    registry: f.registry,
    artifactStore: f.artifactStore,
    trainingPipeline,
    metricsNamespace: f.metricsNamespace,
    schedule: config.drift.schedule,
    psiThresholds: config.drift.psi,
    driftedFeatureShare: config.drift.driftedFeatureShare,
  });
  const modelQuality = options.quality
    ? new ModelQuality(f.stack, 'Quality', {
        modelName: config.model.name,
        task: config.model.task,
        classes: config.model.classes,
        featureNames: config.model.features.map((feature) => feature.name),
        labelColumn: config.model.label,
        registry: f.registry,
        artifactStore: f.artifactStore,
        trainingPipeline,
        metricsNamespace: f.metricsNamespace,
        thresholds: { auc: { warning: 0.85, critical: 0.8 } },
      })
    : undefined;
  const construct = new MlopsDashboard(f.stack, 'Dashboard', {
    team,
    modelName: config.model.name,
    trainingPipeline,
    deploymentFlow: machine('deployment'),
    inference,
    driftMonitor,
    modelQuality,
    registry: f.registry,
  });
  return { construct, inference, driftMonitor, modelQuality };
}

/** The dashboard body as CloudWatch receives it, tokens (ARNs, names) replaced by placeholders. */
function widgetsOf(stack: Stack): Widget[] {
  const dashboards = Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard');
  const [resource] = Object.values(dashboards) as Array<{ Properties: { DashboardBody: unknown } }>;
  const body = resource.Properties.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((part, i) => (typeof part === 'string' ? part : `token${i}`)).join('');
  return JSON.parse(text).widgets;
}

const metricNamesOf = (widget: Widget) =>
  (widget.properties.metrics as unknown[][]).flatMap((row) => (typeof row[0] === 'string' ? [row[1] as string] : []));
const byTitle = (widgets: Widget[], title: string) => {
  const found = widgets.find((w) => w.properties.title === title);
  expect(found, title).toBeDefined();
  return found!;
};

describe('MlopsDashboard', () => {
  it('is named mlops-<team>', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    dashboard(f);
    // THEN
    Template.fromStack(f.stack).hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'mlops-fraud' });
  });

  it('lays every row out on the 24-column grid without overlaps', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    dashboard(f);
    // THEN
    const widgets = widgetsOf(f.stack);
    const rows = new Map<number, Widget[]>();
    for (const w of widgets) rows.set(w.y, [...(rows.get(w.y) ?? []), w]);
    for (const row of rows.values()) {
      expect(row.reduce((sum, w) => sum + w.width, 0)).toBe(24);
      let x = 0;
      for (const w of row.sort((a, b) => a.x - b.x)) {
        expect(w.x).toBe(x);
        x += w.width;
      }
    }
    expect(widgets[0].type).toBe('text');
  });

  it('graphs training and deployment executions started, succeeded and failed', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    dashboard(f);
    // THEN
    const widgets = widgetsOf(f.stack);
    for (const title of ['Training pipeline runs (per hour)', 'Deployments (per hour)']) {
      expect(metricNamesOf(byTitle(widgets, title))).toEqual(
        expect.arrayContaining(['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed']),
      );
    }
  });

  it('draws the latency and error-rate thresholds of the config on the inference graphs', () => {
    // GIVEN
    const f = teamFixture();
    const { latencyP99Ms, errorRatePercent } = f.config.alarms;
    // WHEN
    dashboard(f);
    // THEN
    const widgets = widgetsOf(f.stack);
    const latency = byTitle(widgets, 'Inference latency (ms)');
    expect(latency.properties.metrics.map((row: unknown[]) => (row.at(-1) as { stat: string }).stat)).toEqual(['p50', 'p99']);
    expect(latency.properties.annotations.horizontal.map((a: { value: number }) => a.value)).toEqual([latencyP99Ms.warning, latencyP99Ms.critical]);
    const errors = byTitle(widgets, 'Server error rate (%)');
    expect(errors.properties.annotations.horizontal.map((a: { value: number }) => a.value)).toEqual([errorRatePercent.warning, errorRatePercent.critical]);
    expect(metricNamesOf(byTitle(widgets, 'Inference requests (per minute)'))).toEqual(
      expect.arrayContaining(['Invocations', 'InvocationErrors', 'ClientErrors']),
    );
    expect(metricNamesOf(byTitle(widgets, 'Predicted positive (% of rows)'))).toEqual(['PredictedPositive', 'Predictions']);
  });

  it('graphs the cold starts: the slowest time to be ready per minute, and how many on the right axis', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    dashboard(f);
    // THEN
    const coldStarts = byTitle(widgetsOf(f.stack), 'Cold starts: time to be ready (ms) and count');
    expect(metricNamesOf(coldStarts)).toEqual(['ModelLoadTime', 'ModelLoadTime']);
    const options = coldStarts.properties.metrics.map((row: unknown[]) => row.at(-1) as { stat: string; yAxis?: string; period: number });
    expect(options.map(({ stat, yAxis, period }: { stat: string; yAxis?: string; period: number }) => [stat, yAxis ?? 'left', period])).toEqual([
      ['Maximum', 'left', 60],
      ['SampleCount', 'right', 60],
    ]);
  });

  it('graphs the PSI of every feature in one graph with the PSI thresholds, and the drifted share with the retraining line', () => {
    // GIVEN
    const f = teamFixture();
    const { psi, driftedFeatureShare } = f.config.drift;
    // WHEN
    dashboard(f);
    // THEN
    const widgets = widgetsOf(f.stack);
    const psiGraph = byTitle(widgets, 'Drift: PSI per feature');
    const features = (psiGraph.properties.metrics as unknown[][]).map((row) => row[row.indexOf('Feature') + 1]);
    expect(features).toEqual(f.config.model.features.map((x) => x.name));
    expect(psiGraph.properties.annotations.horizontal.map((a: { value: number }) => a.value)).toEqual([psi.warning, psi.critical]);
    const share = byTitle(widgets, 'Drift: drifted feature share');
    expect(share.properties.annotations.horizontal).toEqual([expect.objectContaining({ value: driftedFeatureShare })]);
  });

  it('shows the state of every alarm of the inference tier and the drift monitor', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    const { inference, driftMonitor } = dashboard(f);
    // THEN
    const alarmWidget = widgetsOf(f.stack).find((w) => w.type === 'alarm')!;
    const expected = inference.alarms.length + inference.warningAlarms.length + driftMonitor.alarms.length;
    expect(alarmWidget.properties.alarms).toHaveLength(expected);
    // The last 1: the drift monitor's failed-runs alarm.
    expect(expected).toBe(4 + 1 + 2 + 2 * f.config.model.features.length + 1);
  });

  it("graphs the served version's quality with the alarm levels, each version's AUC over time, the labels joined, and lists the quality alarms", () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    const { inference, driftMonitor, modelQuality } = dashboard(f, f.config.team, { quality: true });
    // THEN
    const widgets = widgetsOf(f.stack);
    const served = byTitle(widgets, 'Quality of the served version (labelled predictions)');
    expect(metricNamesOf(served)).toEqual(['QualityAuc', 'QualityAccuracy', 'QualityLogLoss']);
    expect(served.properties.annotations.horizontal.map((a: { value: number }) => a.value)).toEqual([0.85, 0.8]);
    const perVersion = byTitle(widgets, 'Quality per version: auc');
    expect(perVersion.properties.metrics).toEqual([
      [expect.objectContaining({ expression: `SEARCH('{MLOps/fraud,Model,ModelVersion} MetricName="QualityAuc" Model="card-fraud"', 'Average', 3600)` })],
    ]);
    expect(metricNamesOf(byTitle(widgets, 'Labels joined (served version) and unmatched'))).toEqual(['LabelledPredictions', 'UnmatchedLabels']);
    const alarmWidget = widgets.find((w) => w.type === 'alarm')!;
    expect(alarmWidget.properties.alarms).toHaveLength(inference.alarms.length + inference.warningAlarms.length + driftMonitor.alarms.length + modelQuality!.alarms.length);
    expect(modelQuality!.alarms).toHaveLength(2);
  });

  it('graphs the rows predicted per class of a multiclass model, one line per class of the config, instead of the positive share', () => {
    // GIVEN
    const f = teamFixture(multiclassConfig(['grocery', 'travel', 'online', 7]));
    // WHEN
    dashboard(f);
    // THEN
    const widgets = widgetsOf(f.stack);
    const perClass = byTitle(widgets, 'Predictions per class (rows per minute)');
    const rows = perClass.properties.metrics as unknown[][];
    expect(rows.map((row) => row.slice(0, 6))).toEqual(
      ['grocery', 'travel', 'online', '7'].map((label) => ['MLOps/fraud', 'ClassPredictions', 'Class', label, 'Model', 'card-fraud']),
    );
    expect(rows.map((row) => row.at(-1))).toEqual(
      ['grocery', 'travel', 'online', '7'].map((label) => ({ label, period: 60, stat: 'Sum' })),
    );
    expect(widgets.find((w) => w.properties.title === 'Predicted positive (% of rows)')).toBeUndefined();
  });

  it.each([
    ['multiclass', multiclassConfig()],
    ['binary', teamFixture().config],
  ])('graphs the PSI of the predicted classes of a %s model with the PSI thresholds', (_kind, config) => {
    // GIVEN
    const f = teamFixture(config);
    const { psi } = f.config.drift;
    // WHEN
    dashboard(f);
    // THEN
    const graph = byTitle(widgetsOf(f.stack), 'Drift: PSI of the predicted classes');
    expect(metricNamesOf(graph)).toEqual(['PredictionDriftPsi']);
    expect(graph.properties.annotations.horizontal.map((a: { value: number }) => a.value)).toEqual([psi.warning, psi.critical]);
  });

  it('keeps the positive share for a binary model and shows neither class widget for a regressor', () => {
    // GIVEN
    const binary = teamFixture();
    const regression = teamFixture(regressionConfig());
    // WHEN
    dashboard(binary);
    dashboard(regression);
    // THEN
    const titles = (f: TeamFixture) => widgetsOf(f.stack).map((w) => w.properties.title);
    expect(titles(binary)).toContain('Predicted positive (% of rows)');
    expect(titles(binary)).not.toContain('Predictions per class (rows per minute)');
    for (const title of ['Predicted positive (% of rows)', 'Predictions per class (rows per minute)', 'Drift: PSI of the predicted classes']) {
      expect(titles(regression)).not.toContain(title);
    }
  });

  it.each([
    ['binary', () => teamFixture()],
    ['multiclass', () => teamFixture(multiclassConfig())],
  ])("is drawn by the local twin's console for a %s model: every widget is a chart, text or alarm list without errors", (_kind, fixture) => {
    // GIVEN
    const f = fixture();
    // WHEN
    dashboard(f, f.config.team, { quality: f.config.model.task === 'binary-classification' });
    // THEN
    for (const widget of widgetsOf(f.stack)) {
      const plan = planWidget(widget as never, []);
      expect(plan.kind, JSON.stringify(widget.properties.title)).not.toBe('unsupported');
      expect('error' in plan ? plan.error : undefined, JSON.stringify(widget.properties.title)).toBeUndefined();
    }
  });

  it('refuses a team name CloudWatch or the platform would not accept', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN / THEN
    expect(() => dashboard(f, 'Fraud Team')).toThrow(/Test\/Dashboard: invalid props:\n.*team must be 3-32 lowercase letters.*got: "Fraud Team"/);
  });

  it('passes the AwsSolutions and Serverless nag packs', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    const { construct } = dashboard(f);
    // THEN
    expect(nagFindings(f.app, construct)).toEqual([]);
    Template.fromStack(f.stack).hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardBody: Match.anyValue() });
  });
});
