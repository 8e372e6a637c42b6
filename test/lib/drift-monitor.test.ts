import { Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { alarmPeriodOfSchedule, DriftMonitor, type DriftMonitorProps } from '../../lib/drift-monitor';
import { byomBaselineKey, byomBaselineValuesPrefix, driftReportsPrefix } from '../../contracts/storage-layout';
import { actionsOf, identityStatements, RESOURCELESS_ACTIONS } from './monitoring/iam';
import { nagFindings } from './monitoring/nag';
import { stateMachineDefinition } from './state-definition';
import { multiclassConfig, regressionConfig, teamFixture, type TeamFixture } from './monitoring/team-fixture';

const PIPELINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:fraud-training';

function driftMonitor(f: TeamFixture, overrides: Partial<DriftMonitorProps> = {}) {
  return new DriftMonitor(f.stack, 'Drift', {
    modelName: f.config.model.name,
    features: f.config.model.features,
    task: f.config.model.task,
    classes: f.config.model.classes,
    registry: f.registry,
    artifactStore: f.artifactStore,
    trainingPipeline: sfn.StateMachine.fromStateMachineArn(f.stack, 'Pipeline', PIPELINE_ARN),
    metricsNamespace: f.metricsNamespace,
    schedule: f.config.drift.schedule,
    windowHours: f.config.drift.windowHours,
    minSamples: f.config.drift.minSamples,
    psiThresholds: f.config.drift.psi,
    driftedFeatureShare: f.config.drift.driftedFeatureShare,
    retrainCooldownHours: f.config.drift.retrainCooldownHours,
    ...overrides,
  });
}

const logicalIdOf = (template: Template, type: string, props: object) => {
  const found = Object.keys(template.findResources(type, { Properties: props }));
  expect(found).toHaveLength(1);
  return found[0];
};

describe('DriftMonitor', () => {
  it('runs the drift job on the configured schedule with DRIFT_CONFIG from the team config', () => {
    // GIVEN
    const f = teamFixture();
    const { drift, model } = f.config;
    // WHEN
    driftMonitor(f);
    // THEN
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 300,
      MemorySize: 2048,
      Environment: {
        Variables: Match.objectLike({
          MODEL_NAME: 'card-fraud',
          METRICS_NAMESPACE: 'MLOps/fraud',
          REGISTRY_TABLE_NAME: { Ref: Match.stringLikeRegexp('^RegistryTable') },
          ARTIFACT_BUCKET: { Ref: Match.stringLikeRegexp('^ArtifactStoreBucket') },
          DRIFT_CONFIG: JSON.stringify({
            windowHours: drift.windowHours,
            minSamples: drift.minSamples,
            psi: drift.psi,
            driftedFeatureShare: drift.driftedFeatureShare,
            features: model.features,
            task: 'binary-classification',
            bytesPerChunk: 64 * 1024 * 1024,
          }),
        }),
      },
    });
    const machine = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'))[0];
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: drift.schedule,
      Targets: [Match.objectLike({ Arn: { Ref: machine } })],
    });
  });

  it('runs the job, then for a window of several chunks a Distributed Map of chunk summaries and the decide step', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    driftMonitor(f, { maxConcurrency: 4, bytesPerChunk: 8 * 1024 * 1024 });
    // THEN
    const template = Template.fromStack(f.stack);
    const definition = stateMachineDefinition(template, 'DriftStateMachine');
    expect(definition.StartAt).toBe('ListWindow');
    expect(definition.States.ListWindow).toMatchObject({ Type: 'Task', Parameters: { 'execution.$': '$$.Execution.Name' }, ResultPath: '$.run', Next: 'FannedOut' });
    expect(definition.States.FannedOut).toEqual({
      Type: 'Choice',
      Comment: expect.any(String),
      Choices: [{ Variable: '$.run.status', StringEquals: 'fan-out', Next: 'SummarizeChunks' }],
      Default: 'Judged',
    });
    expect(definition.States.SummarizeChunks).toMatchObject({
      Type: 'Map',
      MaxConcurrency: 4,
      ResultPath: null,
      ItemReader: { ReaderConfig: { InputType: 'JSON' }, Parameters: { 'Key.$': '$.run.plan.chunksKey' } },
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'Summarize' },
      Next: 'MergeAndDecide',
    });
    expect(definition.States.SummarizeChunks.ItemProcessor.States.Summarize).toMatchObject({ Parameters: { 'chunk.$': '$' } });
    expect(definition.States.MergeAndDecide).toMatchObject({ Parameters: { 'plan.$': '$.run.plan' }, ResultPath: '$.run', End: true });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DRIFT_CONFIG: Match.stringLikeRegexp('"bytesPerChunk":8388608') }) },
    });
  });

  it('sizes the run\'s functions by memorySize (2048 MB unless set), and gives those that read a chunk 15 minutes', () => {
    // [timeout (s), memory (MB)] of each function given DRIFT_CONFIG, by logical id
    const runFunctions = (template: Template) =>
      Object.fromEntries(
        Object.entries(template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { DRIFT_CONFIG: Match.anyValue() } } } })).map(
          ([id, fn]) => [id.replace(/[0-9A-F]{8}$/, ''), [fn.Properties.Timeout, fn.Properties.MemorySize]],
        ),
      );
    const defaults = teamFixture();
    driftMonitor(defaults, {});
    expect(runFunctions(Template.fromStack(defaults.stack))).toEqual({ DriftJob: [900, 2048], DriftSummarizeChunk: [900, 2048], DriftDecide: [300, 2048] });
    const sized = teamFixture();
    driftMonitor(sized, { memorySize: 6144 });
    expect(runFunctions(Template.fromStack(sized.stack))).toEqual({ DriftJob: [900, 6144], DriftSummarizeChunk: [900, 6144], DriftDecide: [300, 6144] });
  });

  it('warns at synth when memorySize cannot hold the baselines the built-in processing writes for its numeric features', () => {
    const numeric = (count: number) => Array.from({ length: count }, (_, i) => ({ name: `x${i}`, type: 'numeric' as const }));
    const warnings = (features: DriftMonitorProps['features'], memorySize?: number) => {
      const f = teamFixture();
      driftMonitor(f, { features, ...(memorySize === undefined ? {} : { memorySize }) });
      return Annotations.fromStack(f.stack).findWarning('*', Match.stringLikeRegexp('memorySize')).map((w) => String(w.entry.data));
    };
    // 42 numeric features of 10^6 baseline values fit the default 2048 MB, as the run's own check finds
    // (test/docs/scaling.test.ts); 43 do not, and the warning names the memory that would do
    expect(warnings([...numeric(42), { name: 'channel', type: 'categorical' }])).toEqual([]);
    const [warning] = warnings(numeric(43));
    expect(warning).toMatch(/^memorySize 2048 MB cannot hold the baselines of 43 numeric features once the training data has 1,000,000 rows .*DriftMemoryError/);
    const needed = Number(/drift\.memoryMiB \(memorySize\) to at least (\d+)/.exec(warning)?.[1]);
    expect(needed).toBeGreaterThan(2048);
    expect(warnings(numeric(43), needed)).toEqual([]);
    expect(warnings(numeric(43), needed - 1)).toHaveLength(1);
  });

  it('alarms (Critical) on drift runs that failed, timed out or were aborted, and sends unstartable runs to its dead-letter queue', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    const monitor = driftMonitor(f);
    // THEN
    const template = Template.fromStack(f.stack);
    const machine = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'))[0];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'fraud-card-fraud-drift-runs-failed-critical',
      Threshold: 1,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)' }),
        Match.objectLike({
          Id: 'failed',
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ExecutionsFailed', Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machine } }] }) }),
        }),
      ]),
    });
    expect(monitor.alarms).toContain(monitor.failedRunsAlarm);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: f.config.drift.schedule,
      Targets: [Match.objectLike({ Arn: { Ref: machine }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DriftDeadLetters'), 'Arn'] } }, RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 } })],
    });
  });

  it("gives a multiclass model's job its task and classes in DRIFT_CONFIG", () => {
    // GIVEN
    const f = teamFixture(multiclassConfig(['grocery', 'travel', 7]));
    // WHEN
    driftMonitor(f);
    // THEN
    const [job] = Object.values(Template.fromStack(f.stack).findResources('AWS::Lambda::Function', { Properties: { Timeout: 300 } }));
    expect(JSON.parse(job.Properties.Environment.Variables.DRIFT_CONFIG)).toMatchObject({
      task: 'multiclass-classification',
      classes: ['grocery', 'travel', 7],
    });
  });

  it('pins the compared version when the tier serves one outside the deployment flow', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    driftMonitor(f, { servedVersion: 4 });
    // THEN
    const [job] = Object.values(Template.fromStack(f.stack).findResources('AWS::Lambda::Function', { Properties: { Timeout: 300 } }));
    expect(JSON.parse(job.Properties.Environment.Variables.DRIFT_CONFIG)).toMatchObject({ servedVersion: 4 });
  });

  it('alarms on the PSI of every feature at the Warning/Critical thresholds of the config', () => {
    // GIVEN
    const f = teamFixture();
    const { psi } = f.config.drift;
    // WHEN
    const monitor = driftMonitor(f);
    // THEN
    const template = Template.fromStack(f.stack);
    for (const feature of f.config.model.features) {
      for (const [severity, threshold] of [
        ['warning', psi.warning],
        ['critical', psi.critical],
      ] as const) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `fraud-card-fraud-psi-${feature.name}-${severity}`,
          Threshold: threshold,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          EvaluationPeriods: 1,
          Metrics: [
            Match.objectLike({
              MetricStat: Match.objectLike({
                Metric: {
                  Namespace: 'MLOps/fraud',
                  MetricName: 'FeaturePsi',
                  Dimensions: [
                    { Name: 'Feature', Value: feature.name },
                    { Name: 'Model', Value: 'card-fraud' },
                  ],
                },
                Period: 3600,
                Stat: 'Maximum',
              }),
            }),
          ],
        });
      }
    }
    expect(Object.keys(monitor.featureAlarms)).toEqual(f.config.model.features.map((x) => x.name));
  });

  it('raises the drift alarm at the configured drifted feature share, over one schedule period, missing data not breaching', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    driftMonitor(f);
    // THEN
    Template.fromStack(f.stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'fraud-card-fraud-drifted-feature-share-critical',
      Threshold: f.config.drift.driftedFeatureShare,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      Metrics: [
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: { Namespace: 'MLOps/fraud', MetricName: 'DriftedFeatureShare', Dimensions: [{ Name: 'Model', Value: 'card-fraud' }] },
            Period: 3600,
          }),
        }),
      ],
    });
  });

  it.each([
    ['multiclass', multiclassConfig()],
    ['binary', teamFixture().config],
  ])('alarms on the PSI of the predicted classes of a %s classifier at the Warning/Critical thresholds of the config', (_kind, config) => {
    // GIVEN
    const f = teamFixture(config);
    const { psi } = f.config.drift;
    // WHEN
    const monitor = driftMonitor(f);
    // THEN
    const template = Template.fromStack(f.stack);
    for (const [severity, threshold] of [
      ['warning', psi.warning],
      ['critical', psi.critical],
    ] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `fraud-card-fraud-prediction-psi-${severity}`,
        AlarmDescription: Match.stringLikeRegexp(`PSI of the predicted classes of card-fraud .* >= ${threshold}$`),
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        Metrics: [
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: { Namespace: 'MLOps/fraud', MetricName: 'PredictionDriftPsi', Dimensions: [{ Name: 'Model', Value: 'card-fraud' }] },
              Period: 3600,
              Stat: 'Maximum',
            }),
          }),
        ],
      });
    }
    expect(Object.keys(monitor.predictionDriftAlarms)).toEqual(['Warning', 'Critical']);
    expect(monitor.alarms).toEqual(expect.arrayContaining(Object.values(monitor.predictionDriftAlarms)));
  });

  it('has no predicted-class alarm or metric for a regression model', () => {
    // GIVEN
    const f = teamFixture(regressionConfig());
    // WHEN
    const monitor = driftMonitor(f);
    // THEN
    expect(Object.keys(Template.fromStack(f.stack).findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: Match.stringLikeRegexp('prediction') } }))).toEqual([]);
    expect(monitor.predictionDriftAlarms).toEqual({});
    expect(() => monitor.metricPredictionDriftPsi()).toThrow(/Test\/Drift: a regression model predicts no classes/);
  });

  it('starts a retraining when the Critical predicted-class alarm enters ALARM, through the same rule and cooldown', () => {
    // GIVEN
    const f = teamFixture(multiclassConfig());
    // WHEN
    driftMonitor(f);
    // THEN one rule listens to both alarms and targets the one trigger
    const template = Template.fromStack(f.stack);
    const share = logicalIdOf(template, 'AWS::CloudWatch::Alarm', { AlarmName: 'fraud-card-fraud-drifted-feature-share-critical' });
    const prediction = logicalIdOf(template, 'AWS::CloudWatch::Alarm', { AlarmName: 'fraud-card-fraud-prediction-psi-critical' });
    const rules = template.findResources('AWS::Events::Rule', { Properties: { EventPattern: Match.objectLike({ source: ['aws.cloudwatch'] }) } });
    expect(Object.values(rules).map((r) => r.Properties.EventPattern.resources)).toEqual([
      [{ 'Fn::GetAtt': [share, 'Arn'] }, { 'Fn::GetAtt': [prediction, 'Arn'] }],
    ]);
  });

  it('starts no retraining from predicted-class drift when the config sets no Critical PSI', () => {
    // GIVEN
    const base = multiclassConfig();
    const f = teamFixture({ ...base, drift: { ...base.drift, psi: { warning: 0.1 } } });
    // WHEN
    const monitor = driftMonitor(f);
    // THEN
    expect(Object.keys(monitor.predictionDriftAlarms)).toEqual(['Warning']);
    const template = Template.fromStack(f.stack);
    const share = logicalIdOf(template, 'AWS::CloudWatch::Alarm', { AlarmName: 'fraud-card-fraud-drifted-feature-share-critical' });
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ resources: [{ 'Fn::GetAtt': [share, 'Arn'] }] }) });
  });

  it('turns the drift alarm entering ALARM into a retrain trigger invocation, with retries and a dead-letter queue', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    driftMonitor(f);
    // THEN
    const template = Template.fromStack(f.stack);
    const alarm = logicalIdOf(template, 'AWS::CloudWatch::Alarm', { AlarmName: 'fraud-card-fraud-drifted-feature-share-critical' });
    const predictionAlarm = logicalIdOf(template, 'AWS::CloudWatch::Alarm', { AlarmName: 'fraud-card-fraud-prediction-psi-critical' });
    const trigger = logicalIdOf(template, 'AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TRAINING_STATE_MACHINE_ARN: PIPELINE_ARN }) },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: Match.absent(),
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        resources: [{ 'Fn::GetAtt': [alarm, 'Arn'] }, { 'Fn::GetAtt': [predictionAlarm, 'Arn'] }],
        detail: { state: { value: ['ALARM'] } },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [trigger, 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DriftDeadLetters'), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 },
        }),
      ],
    });
  });

  it('gives the retrain trigger the pipeline, the registry and the cooldown from the config', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    driftMonitor(f);
    // THEN
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          MODEL_NAME: 'card-fraud',
          TRAINING_STATE_MACHINE_ARN: PIPELINE_ARN,
          RETRAIN_COOLDOWN_HOURS: String(f.config.drift.retrainCooldownHours),
          REGISTRY_TABLE_NAME: { Ref: Match.stringLikeRegexp('^RegistryTable') },
        }),
      },
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DriftDeadLetters'), 'Arn'] } },
    });
    const statements = identityStatements(template, 'DriftRetrainTriggerRole');
    const start = statements.filter((s) => actionsOf(s).includes('states:StartExecution'));
    expect(start).toEqual([expect.objectContaining({ Action: 'states:StartExecution', Resource: PIPELINE_ARN })]);
    // Its only table write: claiming and releasing its cooldown item, by leading key.
    const writes = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(writes).toEqual([
      expect.objectContaining({
        Action: ['dynamodb:DeleteItem', 'dynamodb:PutItem'],
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['COOLDOWN#card-fraud'] } },
      }),
    ]);
  });

  it('encrypts its dead-letter queue and refuses plain-HTTP access to it', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    driftMonitor(f);
    // THEN
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: Match.stringLikeRegexp('^DriftDeadLetters') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('lets the job read capture and baselines and write drift reports of its model only', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    driftMonitor(f);
    // THEN
    const statements = identityStatements(Template.fromStack(f.stack), 'DriftJobRole');
    const resourcesOf = (action: string) =>
      statements.filter((s) => actionsOf(s).includes(action)).map((s) => JSON.stringify(s.Resource));
    const reads = resourcesOf('s3:GetObject').join(' ');
    expect(reads).toContain('/capture/card-fraud/*');
    expect(reads).toContain('/runs/*/processed/*');
    expect(reads).toContain(`/${byomBaselineKey('card-fraud', '*')}*`);
    expect(reads).toContain(`/${byomBaselineValuesPrefix('card-fraud', '*')}*`);
    expect(resourcesOf('s3:PutObject')).toEqual([expect.stringContaining(`/${driftReportsPrefix('card-fraud')}*`)]);
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:') && /Put|Update|Delete|Write/.test(a))).toEqual([]);
  });

  it('uses no wildcard action, and a wildcard resource only for actions that have no resource', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    driftMonitor(f);
    // THEN
    for (const statement of identityStatements(Template.fromStack(f.stack), 'Drift')) {
      expect(actionsOf(statement).filter((a) => a.includes('*'))).toEqual([]);
      if (statement.Resource === '*') expect(actionsOf(statement).every((a) => RESOURCELESS_ACTIONS.has(a))).toBe(true);
    }
  });

  it('exposes the metrics it alarms on, and refuses a feature it does not watch', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    const monitor = driftMonitor(f);
    // THEN
    expect(monitor.metricFeaturePsi('amount').dimensions).toEqual({ Model: 'card-fraud', Feature: 'amount' });
    expect(monitor.metricDriftedFeatureShare().metricName).toBe('DriftedFeatureShare');
    expect(monitor.metricDriftSampleCount().metricName).toBe('DriftSampleCount');
    expect(monitor.metricFeatureKsStatistic('amount').metricName).toBe('FeatureKsStatistic');
    expect(() => monitor.metricFeaturePsi('zip_code')).toThrow(/no feature "zip_code" in this monitor; known features: amount, hour_of_day/);
    expect(monitor.metricPredictionDriftPsi().metricName).toBe('PredictionDriftPsi');
    expect(monitor.metricPredictionDriftPsi().dimensions).toEqual({ Model: 'card-fraud' });
    expect(monitor.metricPredictionDriftChiSquaredPValue()).toMatchObject({ metricName: 'PredictionDriftChiSquaredPValue', statistic: 'Minimum' });
  });

  it('reports every invalid prop at once', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN / THEN
    expect(() =>
      driftMonitor(f, {
        features: [
          { name: 'amount', type: 'numeric' },
          { name: 'amount', type: 'numeric' },
        ],
        schedule: 'every hour',
        psiThresholds: { warning: 0.5, critical: 0.2 },
        servedVersion: 0,
        bytesPerChunk: 1000,
        maxConcurrency: 0,
        memorySize: 256,
        classes: ['a', 'b', 'c'],
      }),
    ).toThrow(
      /Test\/Drift: invalid props:\n.*features must have unique names, got "amount" twice\n.*schedule must be rate\(\.\.\.\) or cron\(\.\.\.\), got: "every hour"\n.*psiThresholds\.warning must be <= psiThresholds\.critical[^]*servedVersion must be[^]*bytesPerChunk must be[^]*1000[^]*maxConcurrency must be[^]*memorySize must be[^]*256[^]*classes apply to a multiclass-classification task, got 3 classes for binary-classification/,
    );
  });

  it.each([
    [undefined, /classes must list the 3 or more classes of a multiclass-classification model, got: \[\]/],
    [['a', 'b'], /classes must list the 3 or more classes .*, got: \["a","b"\]/],
    [['a', 1, '1'], /classes must be distinct, got "1" twice/],
  ])('refuses multiclass classes %j', (classes, message) => {
    // GIVEN
    const f = teamFixture(multiclassConfig());
    // WHEN / THEN
    expect(() => driftMonitor(f, { classes })).toThrow(message);
  });

  it('passes the AwsSolutions and Serverless nag packs', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    const monitor = driftMonitor(f);
    // THEN
    expect(nagFindings(f.app, monitor)).toEqual([]);
  });
});

describe('alarmPeriodOfSchedule', () => {
  it.each([
    ['rate(1 hour)', Duration.hours(1)],
    ['rate(15 minutes)', Duration.minutes(15)],
    ['rate(1 minute)', Duration.minutes(1)],
    ['rate(1 day)', Duration.days(1)],
    ['rate(7 days)', Duration.days(1)],
    ['cron(0 6 * * ? *)', Duration.days(1)],
  ])('%s -> one run per alarm period', (expression, period) => {
    expect(alarmPeriodOfSchedule(expression).toSeconds()).toBe(period.toSeconds());
  });
});
