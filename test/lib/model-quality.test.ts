import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { ApprovalApi } from '../../lib/approval-api';
import { ModelQuality, type ModelQualityProps } from '../../lib/model-quality';
import { nagFindings } from './monitoring/nag';
import { multiclassConfig, regressionConfig, teamFixture, type TeamFixture } from './monitoring/team-fixture';

const PIPELINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:fraud-training';

function modelQuality(f: TeamFixture, overrides: Partial<ModelQualityProps> = {}) {
  return new ModelQuality(f.stack, 'Quality', {
    modelName: f.config.model.name,
    task: f.config.model.task,
    classes: f.config.model.classes,
    featureNames: f.config.model.features.map((feature) => feature.name),
    labelColumn: f.config.model.label,
    registry: f.registry,
    artifactStore: f.artifactStore,
    trainingPipeline: sfn.StateMachine.fromStateMachineArn(f.stack, 'Pipeline', PIPELINE_ARN),
    metricsNamespace: f.metricsNamespace,
    trainingDatasetPrefix: 'datasets/card-fraud/',
    thresholds: { auc: { warning: 0.85, critical: 0.8 } },
    ...overrides,
  });
}

const jobOf = (template: Template) =>
  Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: Match.objectLike({ QUALITY_CONFIG: Match.anyValue() }) } } }));

describe('ModelQuality', () => {
  it('runs the quality job hourly with QUALITY_CONFIG from its props and a dead-letter queue', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    modelQuality(f);
    // THEN
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 300,
      Environment: {
        Variables: Match.objectLike({
          MODEL_NAME: 'card-fraud',
          ARTIFACT_BUCKET: { Ref: Match.stringLikeRegexp('^ArtifactStoreBucket') },
          QUALITY_CONFIG: JSON.stringify({
            windowHours: 168,
            minLabelled: 100,
            task: 'binary-classification',
            features: f.config.model.features.map((feature) => feature.name),
            labelColumn: 'is_fraud',
            trainingDatasetPrefix: 'datasets/card-fraud/',
          }),
        }),
      },
      DeadLetterConfig: { TargetArn: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [Match.objectLike({ DeadLetterConfig: { Arn: Match.anyValue() }, RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86_400 } })],
    });
    expect(jobOf(template)).toHaveLength(1);
  });

  it('alarms on the served version (dimension Model alone) below the AUC levels, and a Critical alarm starts a quality retraining', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    const quality = modelQuality(f);
    // THEN
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'fraud-card-fraud-quality-auc-critical',
      Metrics: [
        Match.objectLike({
          MetricStat: { Metric: { MetricName: 'QualityAuc', Namespace: 'MLOps/fraud', Dimensions: [{ Name: 'Model', Value: 'card-fraud' }] }, Period: 3600, Stat: 'Average' },
        }),
      ],
      ComparisonOperator: 'LessThanOrEqualToThreshold',
      Threshold: 0.8,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'fraud-card-fraud-quality-auc-warning', Threshold: 0.85 });
    expect(quality.alarms).toHaveLength(2);
    // AND the rule listens to the Critical alarm only and targets the quality trigger
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        resources: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('QualityMeasureAlarmsQualityAucCriticalAlarm'), 'Arn'] }],
        detail: { state: { value: ['ALARM'] } },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^QualityRetrainTrigger'), 'Arn'] }, DeadLetterConfig: Match.anyValue() })],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ RETRAIN_CAUSE: 'quality', RETRAIN_COOLDOWN_HOURS: '24', TRAINING_STATE_MACHINE_ARN: PIPELINE_ARN }) },
    });
  });

  it('alarms above the level for a measure where lower is better (regression RMSE), and makes no rule without a Critical level', () => {
    // GIVEN
    const f = teamFixture(regressionConfig());
    // WHEN
    const quality = modelQuality(f, { thresholds: { rmse: { warning: 12 } } });
    // THEN
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: [Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'QualityRmse' }) }) })],
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 12,
    });
    expect(quality.retrainRule).toBeUndefined();
    template.resourcePropertiesCountIs('AWS::Events::Rule', { EventPattern: Match.anyValue() }, 0);
  });

  it('grants the job reads of capture and labels, writes of reports and of the labelled rows only', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    const quality = modelQuality(f);
    // THEN
    const template = Template.fromStack(f.stack);
    expect(quality.job.role).toBeDefined();
    const statements = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    for (const prefix of ['capture/card-fraud/*', 'labels/card-fraud/*', 'quality-reports/card-fraud/*', 'datasets/card-fraud/production-labels/*']) {
      expect(statements).toContain(prefix);
    }
    expect(statements).not.toContain('"datasets/card-fraud/*"');
  });

  it('lets the approval API store feedback under labels/<model>/feedback/ only', () => {
    // GIVEN
    const f = teamFixture();
    const quality = modelQuality(f);
    const api = new ApprovalApi(f.stack, 'ApprovalApi', { registry: f.registry, metricsNamespace: f.metricsNamespace });
    // WHEN
    quality.acceptFeedback(api);
    // THEN
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: Match.anyValue(),
      Environment: { Variables: Match.objectLike({ ACCESS_POLICY: Match.anyValue(), ARTIFACT_BUCKET: { Ref: Match.stringLikeRegexp('^ArtifactStoreBucket') } }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['s3:AbortMultipartUpload', 's3:PutObject'],
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^ArtifactStoreBucket'), 'Arn'] }, '/labels/card-fraud/feedback/*']] },
          }),
        ]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp('^ApprovalApi') }],
    });
  });

  it('reports every bad prop at once, naming the prop and the value', () => {
    const f = teamFixture(multiclassConfig());
    expect(() =>
      modelQuality(f, {
        schedule: 'every hour',
        windowHours: 0,
        classes: ['a', 'b'],
        trainingDatasetPrefix: 'datasets/x',
        thresholds: { auc: { critical: 0.8 }, accuracy: { warning: 0.7, critical: 0.9 } },
      }),
    ).toThrow(
      new RegExp(
        [
          'schedule must be rate\\(\\.\\.\\.\\) or cron\\(\\.\\.\\.\\), got: "every hour"',
          'windowHours must be',
          'trainingDatasetPrefix must be a key prefix ending in "/", got: "datasets/x"',
          'classes must list the 3 or more classes of a multiclass-classification model, got: \\["a","b"\\]',
          'thresholds.auc: a multiclass-classification model is measured by accuracy, logLoss',
          'thresholds.accuracy.warning must be >= thresholds.accuracy.critical',
        ].join('[\\s\\S]*'),
      ),
    );
  });

  it('graphs one measure per version by a SEARCH over the ModelVersion dimension', () => {
    const f = teamFixture();
    const quality = modelQuality(f);
    const expression = quality.metricQualityPerVersion('auc');
    expect(expression.expression).toBe(`SEARCH('{MLOps/fraud,Model,ModelVersion} MetricName="QualityAuc" Model="card-fraud"', 'Average', 3600)`);
    expect(() => quality.metricQuality('rmse')).toThrow(/a binary-classification model is measured by auc, accuracy, logLoss, not rmse/);
  });

  it('passes the AwsSolutions and Serverless nag packs', () => {
    const f = teamFixture();
    const quality = modelQuality(f);
    quality.acceptFeedback(new ApprovalApi(f.stack, 'ApprovalApi', { registry: f.registry, metricsNamespace: f.metricsNamespace }));
    expect(nagFindings(f.app, quality)).toEqual([]);
  });
});
