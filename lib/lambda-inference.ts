import { Aws, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  DEFAULT_ERROR_RATE_PERCENT,
  DEFAULT_LATENCY_P99_MS,
  InferenceTierBase,
  InferenceTierProps,
  grantServing,
  inferenceTierPropProblems,
  servingEnvironment,
} from './inference-tier';
import type { FunctionEnvironment } from '../contracts/function-environment';
import { alarmNamingOf } from './monitoring/alarms';
import { CaptureStream } from './monitoring/capture-stream';
import { InferenceMonitoring } from './monitoring/inference-monitoring';
import { rangeProblem, throwOnPropProblems } from './private/prop-problems';
import { LiveAlias } from './private/live-alias';
import { MlopsFunction } from './private/mlops-function';
import { acknowledge, acknowledgeWildcardResource } from './private/nag';

/** Props of {@link LambdaInference}: the shared tier props plus the function's size. */
export interface LambdaInferenceProps extends InferenceTierProps {
  /**
   * Memory of the function in MiB (512-10240); CPU scales with it.
   * @default 2048
   */
  readonly memorySize?: number;
  /**
   * Provisioned concurrency on the `live` alias (0-100); 0 keeps the alias on demand. A provisioned environment loads
   * its model and creates its session during its init, so its first request is served at once.
   * @default 0
   */
  readonly provisionedConcurrency?: number;
  /**
   * Longest a single request may run.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
}

/** Name of the alias that serves traffic; the deployment flow shifts it between published versions. */
export const LIVE_ALIAS_NAME = 'live';

/**
 * The Lambda inference tier: the inference handler (onnxruntime-node from the shared layer) behind a `live` alias
 * with an IAM-authenticated function URL, a capture stream for drift monitoring, and p99 latency / error-rate
 * alarms from the team's thresholds.
 *
 * The alias starts on a version created with the stack and is then owned by the deployment flow, which publishes a
 * version per model deployment (with MODEL_VERSION set) and shifts the alias. It is a custom resource (LiveAlias):
 * a later `cdk deploy` of changed code or config never changes which version serves; changed handler code reaches
 * traffic with the next model deployment.
 */
export class LambdaInference extends InferenceTierBase {
  /** The registry model this tier serves. */
  readonly modelName: string;
  /** The inference function ($LATEST carries the newest code; versions carry a MODEL_VERSION each). */
  readonly function: lambda.Function;
  /** The alias `live`, which serves all traffic; only the deployment flow moves it (see LiveAlias). */
  readonly liveAlias: lambda.IAlias;
  /** HTTPS endpoint of the live alias; callers sign requests with SigV4 (AuthType AWS_IAM). */
  readonly functionUrl: lambda.FunctionUrl;
  /** The Firehose stream that writes sampled requests and predictions to `capture/<model>/` for the drift job. */
  readonly captureStream: CaptureStream;
  protected readonly monitoring: InferenceMonitoring;

  constructor(scope: Construct, id: string, props: LambdaInferenceProps) {
    super(scope, id);
    throwOnPropProblems(this, [
      ...inferenceTierPropProblems(props),
      ...rangeProblem('memorySize', props.memorySize, { min: 512, max: 10_240, integer: true }),
      ...rangeProblem('provisionedConcurrency', props.provisionedConcurrency, { min: 0, max: 100, integer: true }),
      ...rangeProblem('timeout (seconds)', props.timeout?.toSeconds(), { min: 1, max: 900 }),
    ]);
    this.modelName = props.modelName;

    this.captureStream = new CaptureStream(this, 'Capture', {
      modelName: props.modelName,
      artifactStore: props.artifactStore,
    });

    const fn = new MlopsFunction(this, 'Function', {
      entry: 'lambdas/inference/handler.ts',
      description: `Serves predictions of model ${props.modelName}`,
      serviceName: 'inference',
      metricsNamespace: props.metricsNamespace,
      memorySize: props.memorySize ?? 2048,
      timeout: props.timeout ?? Duration.seconds(30),
      usesOnnxRuntime: true,
      // Its logger maps the stacks it logs (lambdas/inference/telemetry.ts): a cold start reads no source maps.
      sourceMapsAtLoad: false,
      environment: {
        ...servingEnvironment(props, this.captureStream),
        // The function reads its model with direct signed requests (lambdas/inference/direct-reads.ts), whose endpoints
        // end in the partition's suffix: amazonaws.com, or amazonaws.com.cn in China.
        ENDPOINT_DNS_SUFFIX: Aws.URL_SUFFIX,
      } satisfies FunctionEnvironment,
    });
    this.function = fn;
    grantServing(fn, { modelName: props.modelName, registry: props.registry, artifactStore: props.artifactStore, captureStream: this.captureStream });

    const initialVersion = new lambda.Version(this, 'InitialVersion', {
      lambda: fn,
      description: 'Created with the stack; serves until the first model deployment',
    });
    const live = new LiveAlias(this, 'LiveAlias', {
      function: fn,
      aliasName: LIVE_ALIAS_NAME,
      initialVersion,
      metricsNamespace: props.metricsNamespace,
      provisionedConcurrency: props.provisionedConcurrency,
    });
    this.liveAlias = live.alias;
    this.functionUrl = this.liveAlias.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    // The URL names the alias, which exists once the custom resource has created it.
    this.functionUrl.node.addDependency(live.resource);

    this.monitoring = new InferenceMonitoring(this, 'Monitoring', {
      modelName: props.modelName,
      metricsNamespace: props.metricsNamespace,
      naming: alarmNamingOf(props),
      latencyP99Ms: props.latencyP99Ms ?? DEFAULT_LATENCY_P99_MS,
      errorRatePercent: props.errorRatePercent ?? DEFAULT_ERROR_RATE_PERCENT,
      actions: props.alarmActions,
      // Crashes and timeouts never reach the handler's own error count; the alias' metrics see every request.
      platformErrors: this.liveAlias.metricErrors({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(1) }),
      platformInvocations: this.liveAlias.metricInvocations({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(1) }),
    });

    const synchronous =
      'Invoked synchronously through its function URL: a failed request returns its error to the caller, there is no asynchronous event to keep.';
    acknowledge(fn, 'Serverless-LambdaDLQ', synchronous);
    acknowledge(fn, 'Serverless-LambdaAsyncFailureDestination', synchronous);
  }

  /** Invoke the live alias through its function URL (SigV4-signed HTTPS). */
  grantInvokeUrl(grantee: iam.IGrantable): iam.Grant {
    return this.liveAlias.grantInvokeUrl(grantee);
  }

  /**
   * What a deployment needs: set the model version on $LATEST and publish it, invoke a published version (holdout
   * check), and point the live alias at a version with a canary weight.
   */
  grantDeploy(grantee: iam.IGrantable): iam.Grant {
    const versions = `${this.function.functionArn}:*`;
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['lambda:GetFunctionConfiguration', 'lambda:UpdateFunctionConfiguration', 'lambda:PublishVersion'],
      resourceArns: [this.function.functionArn],
    })
      .combine(
        iam.Grant.addToPrincipal({
          grantee,
          actions: ['lambda:GetAlias', 'lambda:UpdateAlias'],
          resourceArns: [this.liveAlias.functionArn],
        }),
      )
      .combine(iam.Grant.addToPrincipal({ grantee, actions: ['lambda:InvokeFunction'], resourceArns: [versions] }));
    acknowledgeWildcardResource(
      grantee,
      versions,
      'Invokes the versions of this one function (the holdout check runs the just-published version); version numbers are assigned at deployment time.',
    );
    return grant;
  }

  /** Lambda's own duration of the live alias (includes cold starts the handler cannot time). p99 by default. */
  metricDuration(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.liveAlias.metricDuration({ statistic: cloudwatch.Stats.p(99), ...props });
  }

  /** Requests Lambda throttled on the live alias. */
  metricThrottles(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.liveAlias.metricThrottles({ statistic: cloudwatch.Stats.SUM, ...props });
  }
}
