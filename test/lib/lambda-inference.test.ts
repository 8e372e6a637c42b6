import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { LambdaInference, type LambdaInferenceProps } from '../../lib/lambda-inference';
import { byomArtifactKey } from '../../contracts/storage-layout';
import { AlarmNotificationTopic } from '../../lib/monitoring/alarm-actions';
import { actionsOf, identityStatements, RESOURCELESS_ACTIONS } from './monitoring/iam';
import { nagFindings } from './monitoring/nag';
import { teamFixture, type TeamFixture } from './monitoring/team-fixture';

function inference(f: TeamFixture, overrides: Partial<LambdaInferenceProps> = {}) {
  const { config } = f;
  const tier = config.inference.kind === 'lambda' ? config.inference : undefined;
  return new LambdaInference(f.stack, 'Inference', {
    modelName: config.model.name,
    registry: f.registry,
    artifactStore: f.artifactStore,
    metricsNamespace: f.metricsNamespace,
    memorySize: tier?.memoryMiB,
    provisionedConcurrency: tier?.provisionedConcurrency,
    captureSamplePercent: tier?.captureSamplePercent,
    latencyP99Ms: config.alarms.latencyP99Ms,
    errorRatePercent: config.alarms.errorRatePercent,
    ...overrides,
  });
}

describe('LambdaInference', () => {
  it('runs the inference handler on Node 24 with onnxruntime from the layer and the documented environment', () => {
    // GIVEN the example team
    const f = teamFixture();
    // WHEN
    inference(f);
    // THEN
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      MemorySize: 2048,
      Layers: [{ Ref: Match.stringLikeRegexp('^OnnxRuntimeLayer') }],
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: Match.objectLike({
          REGISTRY_TABLE_NAME: { Ref: Match.stringLikeRegexp('^RegistryTable') },
          ARTIFACT_BUCKET: { Ref: Match.stringLikeRegexp('^ArtifactStoreBucket') },
          MODEL_NAME: 'card-fraud',
          MODEL_VERSION: '',
          CAPTURE_STREAM_NAME: { Ref: Match.stringLikeRegexp('^InferenceCaptureStream') },
          CAPTURE_SAMPLE_PERCENT: String(f.config.inference.captureSamplePercent),
          METRICS_NAMESPACE: 'MLOps/fraud',
          // The partition's DNS suffix, for the endpoints of the model's direct reads.
          ENDPOINT_DNS_SUFFIX: { Ref: 'AWS::URLSuffix' },
          // No --enable-source-maps: a cold start reads no source maps (its logger maps the stacks it logs).
          NODE_OPTIONS: Match.absent(),
        }),
      },
    });
  });

  it('serves through a "live" alias that CloudFormation creates but never moves, with an AWS_IAM function URL', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    inference(f);
    // THEN the alias is a custom resource: no AWS::Lambda::Alias whose FunctionVersion a stack update would reset
    const template = Template.fromStack(f.stack);
    template.resourceCountIs('AWS::Lambda::Version', 1);
    template.resourceCountIs('AWS::Lambda::Alias', 0);
    template.hasResourceProperties('Custom::LiveAlias', {
      ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('^InferenceLiveAliasHandler'), 'Arn'] },
      FunctionName: { Ref: Match.stringLikeRegexp('^InferenceFunction') },
      AliasName: 'live',
      InitialVersion: { 'Fn::GetAtt': [Match.stringLikeRegexp('^InferenceInitialVersion'), 'Version'] },
      ProvisionedConcurrency: '0',
    });
    // The URL is created after the alias it names.
    const [urlId, url] = Object.entries(template.findResources('AWS::Lambda::Url'))[0];
    expect(url.Properties).toMatchObject({ AuthType: 'AWS_IAM', Qualifier: 'live' });
    expect(url.DependsOn).toEqual(expect.arrayContaining([Object.keys(template.findResources('Custom::LiveAlias'))[0]]));
    expect(urlId).toMatch(/^Inference/);
    // The resource's function may create, describe and delete the alias and set its provisioned concurrency only.
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^InferenceLiveAliasHandlerRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: [
              'lambda:CreateAlias',
              'lambda:DeleteAlias',
              'lambda:DeleteProvisionedConcurrencyConfig',
              'lambda:GetAlias',
              'lambda:PutProvisionedConcurrencyConfig',
              'lambda:UpdateAlias',
            ],
            Resource: [
              { 'Fn::GetAtt': [Match.stringLikeRegexp('^InferenceFunction'), 'Arn'] },
              { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^InferenceFunction'), 'Arn'] }, ':live']] },
            ],
          }),
        ]),
      },
    });
  });

  it('puts provisioned concurrency on the alias when asked', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    inference(f, { provisionedConcurrency: 3 });
    // THEN
    Template.fromStack(f.stack).hasResourceProperties('Custom::LiveAlias', { ProvisionedConcurrency: '3' });
  });

  it('captures to a GZIP, KMS-encrypted Firehose stream under capture/<model>/', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    inference(f);
    // THEN
    Template.fromStack(f.stack).hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: {
        KeyType: 'CUSTOMER_MANAGED_CMK',
        KeyARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ArtifactStoreKey'), 'Arn'] },
      },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix: 'capture/card-fraud/',
        ErrorOutputPrefix: 'capture-errors/card-fraud/',
        CompressionFormat: 'GZIP',
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 5 },
        EncryptionConfiguration: {
          KMSEncryptionConfig: { AWSKMSKeyARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ArtifactStoreKey'), 'Arn'] } },
        },
      }),
    });
  });

  it('alarms on p99 latency and error rate at the thresholds of the team config', () => {
    // GIVEN
    const f = teamFixture();
    const { latencyP99Ms, errorRatePercent } = f.config.alarms;
    // WHEN
    const tier = inference(f);
    // THEN
    const template = Template.fromStack(f.stack);
    const expectations: Array<[string, number | undefined]> = [
      ['fraud-card-fraud-latency-p99-warning', latencyP99Ms.warning],
      ['fraud-card-fraud-latency-p99-critical', latencyP99Ms.critical],
      ['fraud-card-fraud-error-rate-warning', errorRatePercent.warning],
      ['fraud-card-fraud-error-rate-critical', errorRatePercent.critical],
    ];
    for (const [name, threshold] of expectations) {
      expect(threshold).toBeTypeOf('number');
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: name,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'fraud-card-fraud-latency-p99-critical',
      Metrics: [
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: { Namespace: 'MLOps/fraud', MetricName: 'InvocationLatency', Dimensions: [{ Name: 'Model', Value: 'card-fraud' }] },
            Stat: 'p99',
          }),
        }),
      ],
    });
    // the deployment watches the Critical ones
    expect(tier.alarms).toHaveLength(2);
    expect(tier.warningAlarms).toHaveLength(2);
  });

  it('counts crashes of the live alias in the error rate', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    inference(f);
    // THEN
    Template.fromStack(f.stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'fraud-card-fraud-error-rate-critical',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: '100 * (FILL(errors, 0) + FILL(platformErrors, 0)) / requests' }),
        Match.objectLike({ Id: 'platformErrors', MetricStat: Match.objectLike({ Metric: Match.objectLike({ Namespace: 'AWS/Lambda', MetricName: 'Errors' }) }) }),
      ]),
    });
  });

  it('skips an alarm level the config leaves out', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    const tier = inference(f, { latencyP99Ms: { critical: 500 } });
    // THEN
    const alarms = Template.fromStack(f.stack).findResources('AWS::CloudWatch::Alarm', {
      Properties: { AlarmName: 'fraud-card-fraud-latency-p99-warning' },
    });
    expect(Object.keys(alarms)).toHaveLength(0);
    expect(tier.warningAlarms).toHaveLength(1);
  });

  it('grants the function read on the registry and model artifacts and PutRecordBatch on its stream only', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    inference(f);
    // THEN
    const statements = identityStatements(Template.fromStack(f.stack), 'InferenceFunctionRole');
    const actions = statements.flatMap(actionsOf);
    expect(actions).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 's3:GetObject', 'firehose:PutRecordBatch']),
    );
    expect(actions).not.toContain('firehose:PutRecord');
    expect(actions.filter((a) => a.startsWith('dynamodb:') && /Put|Update|Delete|Write/.test(a))).toEqual([]);
    const s3Reads = JSON.stringify(statements.filter((s) => actionsOf(s).includes('s3:GetObject')).map((s) => s.Resource));
    expect(s3Reads).toContain('/runs/*/model/*');
    // Models registered with `mlops models register --onnx`: their archives only, not their holdout or baseline.
    expect(s3Reads).toContain(`/${byomArtifactKey('card-fraud', '*')}*`);
    expect(s3Reads).not.toContain('/byom/card-fraud/*/*');
    const firehose = statements.find((s) => actionsOf(s).includes('firehose:PutRecordBatch'));
    expect(firehose?.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^InferenceCaptureStream/), 'Arn'] });
  });

  it('gives the capture stream a role that writes only under the capture prefixes', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    inference(f);
    // THEN
    const statements = identityStatements(Template.fromStack(f.stack), 'InferenceCaptureRole');
    const writes = statements.filter((s) => actionsOf(s).includes('s3:PutObject'));
    const resources = writes.map((s) => JSON.stringify(s.Resource));
    expect(resources).toHaveLength(2);
    expect(resources.some((r) => r.includes('/capture/card-fraud/*'))).toBe(true);
    expect(resources.some((r) => r.includes('/capture-errors/card-fraud/*'))).toBe(true);
  });

  it('uses no wildcard action, and a wildcard resource only for actions that have no resource', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    inference(f);
    // THEN
    for (const statement of identityStatements(Template.fromStack(f.stack), 'Inference')) {
      expect(actionsOf(statement).filter((a) => a.includes('*'))).toEqual([]);
      if (statement.Resource === '*') {
        expect(actionsOf(statement).every((a) => RESOURCELESS_ACTIONS.has(a))).toBe(true);
      }
    }
  });

  it('grants a deployment what it needs on the function, its versions and the live alias', () => {
    // GIVEN
    const f = teamFixture();
    const tier = inference(f);
    const role = new iam.Role(f.stack, 'Deployer', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
    // WHEN
    tier.grantDeploy(role);
    tier.grantInvokeUrl(role);
    // THEN
    const actions = identityStatements(Template.fromStack(f.stack), 'DeployerDefaultPolicy').flatMap(actionsOf);
    expect(actions).toEqual(
      expect.arrayContaining([
        'lambda:UpdateFunctionConfiguration',
        'lambda:PublishVersion',
        'lambda:UpdateAlias',
        'lambda:InvokeFunction',
        'lambda:InvokeFunctionUrl',
      ]),
    );
  });

  it('sends alarm notifications to an encrypted, TLS-only topic when notifyEmail is set', () => {
    // GIVEN
    const f = teamFixture();
    const actions = AlarmNotificationTopic.strategyFor(f.stack, 'AlarmTopic', 'ml-oncall@example.com');
    // WHEN
    inference(f, { alarmActions: actions });
    // THEN
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'fraud-card-fraud-error-rate-critical',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlarmTopic') }],
      OKActions: [{ Ref: Match.stringLikeRegexp('^AlarmTopic') }],
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ml-oncall@example.com' });
  });

  it('reports every invalid prop at once, naming the prop and the value', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN / THEN
    expect(() =>
      inference(f, {
        memorySize: 100,
        captureSamplePercent: 150,
        latencyP99Ms: { warning: 2000, critical: 1000 },
      }),
    ).toThrow(
      /Test\/Inference: invalid props:\n.*captureSamplePercent must be between 0 and 100, got: 150\n.*latencyP99Ms\.warning must be <= latencyP99Ms\.critical.*got: warning 2000, critical 1000\n.*memorySize must be an integer between 512 and 10240, got: 100/,
    );
  });

  it('passes the AwsSolutions and Serverless nag packs', () => {
    // GIVEN
    const f = teamFixture();
    // WHEN
    const topic = new AlarmNotificationTopic(f.stack, 'AlarmTopic', { email: 'ml-oncall@example.com' });
    const tier = inference(f, { alarmActions: topic.strategy });
    // THEN
    expect(nagFindings(f.app, tier, topic)).toEqual([]);
  });
});
