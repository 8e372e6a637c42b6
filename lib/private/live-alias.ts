import { CustomResource, Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { MlopsFunction } from './mlops-function';
import { acknowledge } from './nag';

export interface LiveAliasProps {
  /** The function the alias belongs to. */
  readonly function: lambda.IFunction;
  readonly aliasName: string;
  /** The version the alias starts on, when the stack is created (never again). */
  readonly initialVersion: lambda.IVersion;
  /** CloudWatch namespace of the resource's function. */
  readonly metricsNamespace: string;
  /**
   * Provisioned concurrency on the alias; 0 keeps it on demand.
   * @default 0
   */
  readonly provisionedConcurrency?: number;
}

/**
 * An alias whose existence and provisioned concurrency CloudFormation owns, and whose routing (version and canary
 * weights) the deployment flow alone owns: a `Custom::LiveAlias` (lambdas/deployment/live-alias.ts) instead of an
 * `AWS::Lambda::Alias`, which every stack update touching it would point back at the template's version.
 */
export class LiveAlias extends Construct {
  /** The alias, for grants, metrics and a function URL (`<function arn>:<alias name>`). */
  readonly alias: lambda.IAlias;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: LiveAliasProps) {
    super(scope, id);
    const handler = new MlopsFunction(this, 'Handler', {
      entry: 'lambdas/deployment/live-alias.handler.ts',
      description: `Creates the ${props.aliasName} alias and sets its provisioned concurrency; never moves it`,
      serviceName: 'live-alias',
      metricsNamespace: props.metricsNamespace,
      timeout: Duration.minutes(2),
    });
    const aliasArn = `${props.function.functionArn}:${props.aliasName}`;
    handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'lambda:CreateAlias',
          'lambda:GetAlias',
          'lambda:UpdateAlias',
          'lambda:DeleteAlias',
          'lambda:PutProvisionedConcurrencyConfig',
          'lambda:DeleteProvisionedConcurrencyConfig',
        ],
        resources: [props.function.functionArn, aliasArn],
      }),
    );
    const reason =
      'Invoked by CloudFormation, which waits for its answer: a failure fails (and rolls back) the stack operation, which reports the reason; there is no event to keep for later.';
    acknowledge(handler, 'Serverless-LambdaDLQ', reason);
    acknowledge(handler, 'Serverless-LambdaAsyncFailureDestination', reason);

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: handler.functionArn,
      resourceType: 'Custom::LiveAlias',
      properties: {
        FunctionName: props.function.functionName,
        AliasName: props.aliasName,
        InitialVersion: props.initialVersion.version,
        Description: 'Serves traffic; the deployment flow moves it between model versions',
        ProvisionedConcurrency: String(props.provisionedConcurrency ?? 0),
      },
    });
    this.alias = new AliasReference(this, 'Alias', props.aliasName, props.initialVersion);
  }
}

/**
 * The alias as an IAlias. `Alias.fromAliasAttributes` would do, but its metrics carry `FunctionName: <name>:<alias>`,
 * while Lambda publishes an alias's metrics as FunctionName plus Resource `<name>:<alias>` (as `Alias` itself does).
 */
class AliasReference extends lambda.QualifiedFunctionBase implements lambda.IAlias {
  readonly lambda: lambda.IFunction;
  readonly functionArn: string;
  readonly functionName: string;
  readonly grantPrincipal: iam.IPrincipal;
  readonly role?: iam.IRole;
  readonly architecture: lambda.Architecture;
  protected readonly canCreatePermissions = true;
  protected readonly qualifier: string;

  constructor(
    scope: Construct,
    id: string,
    readonly aliasName: string,
    readonly version: lambda.IVersion,
  ) {
    super(scope, id);
    this.lambda = version.lambda;
    this.functionArn = `${version.lambda.functionArn}:${aliasName}`;
    this.functionName = `${version.lambda.functionName}:${aliasName}`;
    this.grantPrincipal = version.grantPrincipal;
    this.role = version.role;
    this.architecture = version.lambda.architecture;
    this.qualifier = aliasName;
  }

  get aliasRef() {
    return { aliasArn: this.functionArn };
  }

  metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return super.metric(metricName, {
      dimensionsMap: { FunctionName: this.lambda.functionName, Resource: `${this.lambda.functionName}:${this.aliasName}` },
      ...props,
    });
  }
}
