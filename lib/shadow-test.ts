import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FunctionEnvironment, FunctionEnvName } from '../contracts/function-environment';
import { SHADOW_METRICS, shadowModelPrefix } from '../contracts/shadow-test';
import { byomArtifactKey } from '../contracts/storage-layout';
import type { IArtifactStore } from './artifact-store';
import { MODEL_ARTIFACTS_PREFIX } from './inference-tier';
import type { IModelRegistry } from './model-registry';
import { MetricFactory } from './monitoring/metric-factory';
import { MlopsFunction } from './private/mlops-function';
import { rangeProblem, throwOnPropProblems } from './private/prop-problems';
import { deadLetterQueue, ruleTargetOptions } from './private/queues';

/** Props of {@link ShadowTest}. */
export interface ShadowTestProps {
  /** The registry model whose pending versions run in shadow. */
  readonly modelName: string;
  /**
   * The live inference function (LambdaInference's `function`): it gets SHADOW_FUNCTION_NAME and the right to invoke
   * the shadow function. A `lambda.Function`, not an `IFunction`: an environment variable can only be added to a
   * function defined in this app.
   */
  readonly inferenceFunction: lambda.Function;
  /** The registry: the shadow state (model item), the shadow version's artifact, and the reports. */
  readonly registry: IModelRegistry;
  /** Holds the model artifacts and, under `shadow/<model>/`, the compared rows. */
  readonly artifactStore: IArtifactStore;
  /** CloudWatch namespace of the functions' and the report's metrics (`MLOps/<team>`). */
  readonly metricsNamespace: string;
  /**
   * When the report runs; each run reports the hour before it.
   * @default 'rate(1 hour)'
   */
  readonly reportSchedule?: string;
  /**
   * Memory of the shadow function in MiB (512-10240), as the live function's: it runs the same model sessions.
   * @default 2048
   */
  readonly memorySize?: number;
}

/**
 * Shadow tests (`mlops models shadow`, the console's Shadow button): a pending version answers a sampled copy of live
 * requests, and an hourly report compares its answers with the live version's.
 *
 * Design (why not a published version of the live function): the shadow runs in a function of its own, the live
 * tier's handler code's model session (lambdas/shadow/), which loads the version the copied batch names. Publishing a
 * version of the inference function would rewrite its $LATEST MODEL_VERSION, racing the deployment flow's Prepare
 * step, and would run shadow work in the live function's concurrency and alarms (its errors would count against the
 * live tier's error-rate alarm and the canary watch). The live function sends copies as asynchronous invocations
 * (InvocationType Event) from the flush that already delivers capture (lambdas/inference/shadow-copies.ts): the caller's
 * response is untouched and no shadow failure reaches it. The live function's published versions carry the variable
 * from the next model deployment on (the alias serves published versions; see LambdaInference).
 */
export class ShadowTest extends Construct {
  /** Answers copied requests with the shadow version; writes live and shadow answers to `shadow/<model>/`. */
  readonly shadowFunction: lambda.IFunction;
  /** The hourly report: metrics and the registry. */
  readonly reportFunction: lambda.IFunction;
  /** The schedule that runs the report (`rate(1 hour)` unless the props say otherwise). */
  readonly reportRule: events.Rule;
  /** Shadow batches that failed every retry, and report events no run took; its alarm fires on one message. */
  readonly deadLetterQueue: sqs.IQueue;
  private readonly metrics: MetricFactory;

  constructor(scope: Construct, id: string, props: ShadowTestProps) {
    super(scope, id);
    const memorySize = props.memorySize ?? 2048;
    throwOnPropProblems(this, rangeProblem('memorySize', memorySize, { min: 512, max: 10_240, integer: true }));
    // Lambda (the shadow's asynchronous events) and EventBridge (the schedule's) deliver here: SQS-managed encryption.
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetters');
    const environment = {
      MODEL_NAME: props.modelName,
      REGISTRY_TABLE_NAME: props.registry.table.tableName,
      ARTIFACT_BUCKET: props.artifactStore.bucket.bucketName,
    } satisfies FunctionEnvironment;

    const shadow = new MlopsFunction(this, 'ShadowFunction', {
      entry: 'lambdas/shadow/shadow-inference.handler.ts',
      description: `Answers copies of live requests with the version of ${props.modelName} in shadow`,
      serviceName: 'shadow',
      metricsNamespace: props.metricsNamespace,
      memorySize,
      timeout: Duration.minutes(1),
      usesOnnxRuntime: true,
      deadLetterQueue: this.deadLetterQueue,
      environment,
    });
    props.registry.grantRead(shadow);
    props.artifactStore.grantRead(shadow, MODEL_ARTIFACTS_PREFIX);
    props.artifactStore.grantRead(shadow, byomArtifactKey(props.modelName, '*'));
    props.artifactStore.grantWrite(shadow, shadowModelPrefix(props.modelName));
    this.shadowFunction = shadow;

    const variable: FunctionEnvName = 'SHADOW_FUNCTION_NAME';
    props.inferenceFunction.addEnvironment(variable, shadow.functionName);
    // The unqualified function only (its $LATEST), which is what the live tier invokes: no version wildcard.
    iam.Grant.addToPrincipal({ grantee: props.inferenceFunction, actions: ['lambda:InvokeFunction'], resourceArns: [shadow.functionArn] });

    const report = new MlopsFunction(this, 'ReportFunction', {
      entry: 'lambdas/shadow/shadow-report.handler.ts',
      description: `Hourly report of the shadow test of ${props.modelName}`,
      serviceName: 'shadow-report',
      metricsNamespace: props.metricsNamespace,
      memorySize: 1024,
      timeout: Duration.minutes(5),
      deadLetterQueue: this.deadLetterQueue,
      environment,
    });
    props.registry.grantRegistryWrite(report);
    props.artifactStore.grantRead(report, shadowModelPrefix(props.modelName));
    this.reportFunction = report;
    this.reportRule = new events.Rule(this, 'ReportSchedule', {
      description: `Shadow report of ${props.modelName}`,
      schedule: events.Schedule.expression(props.reportSchedule ?? 'rate(1 hour)'),
      targets: [new targets.LambdaFunction(report, ruleTargetOptions(this.deadLetterQueue))],
    });

    this.metrics = new MetricFactory({ namespace: props.metricsNamespace, dimensions: { Model: props.modelName }, period: Duration.hours(1) });
  }

  /** Share of rows whose labels agree, of one shadow version's reports (average over the period). */
  metricAgreementRate(shadowVersion: number, options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.reportMetric(SHADOW_METRICS.agreementRate, shadowVersion, cloudwatch.Stats.AVERAGE, options);
  }

  /** Mean absolute difference of the predictions. */
  metricMeanAbsoluteDifference(shadowVersion: number, options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.reportMetric(SHADOW_METRICS.meanAbsoluteDifference, shadowVersion, cloudwatch.Stats.AVERAGE, options);
  }

  /** PSI of the shadow's predictions against the live ones. */
  metricPredictionPsi(shadowVersion: number, options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.reportMetric(SHADOW_METRICS.predictionPsi, shadowVersion, cloudwatch.Stats.AVERAGE, options);
  }

  /** The shadow's p99 latency per copied request, as each report measured it. */
  metricLatencyP99(shadowVersion: number, options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.reportMetric(SHADOW_METRICS.latencyP99Ms, shadowVersion, cloudwatch.Stats.MAXIMUM, options);
  }

  /** Rows the shadow failed. */
  metricErrors(shadowVersion: number, options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.reportMetric(SHADOW_METRICS.errors, shadowVersion, cloudwatch.Stats.SUM, options);
  }

  private reportMetric(name: string, shadowVersion: number, statistic: string, options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(name, { statistic, dimensionsMap: { ShadowVersion: String(shadowVersion) } }, options);
  }
}
