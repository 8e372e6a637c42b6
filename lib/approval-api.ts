import { Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { DeploymentFlow } from './deployment-flow';
import type { IModelRegistry } from './model-registry';
import type { TrainingPipeline } from './training-pipeline';
import { ACCESS_POLICY_ENV, type AccessPolicy, DEFAULT_ACCESS_POLICY } from '../contracts/access-policy';
import { throwOnPropProblems } from './private/prop-problems';
import { IAM_ROUTE_PREFIX } from '../contracts/registry-api';
import { encryptedLogGroup } from './private/log-encryption';
import { MlopsFunction } from './private/mlops-function';
import { acknowledge } from './private/nag';
import { publicClientOptions } from './private/public-client';

/** Where `mlops login` listens for the hosted sign-in's redirect (a loopback URL, as RFC 8252 has native apps do). */
export const CLI_CALLBACK_URL = 'http://localhost:8976/callback';

/** The routes of the approval API; every one is served by lambdas/registry/api.handler.ts. */
export const APPROVAL_API_ROUTES: ReadonlyArray<readonly [apigwv2.HttpMethod, string]> = [
  [apigwv2.HttpMethod.GET, '/me'],
  [apigwv2.HttpMethod.GET, '/models'],
  [apigwv2.HttpMethod.GET, '/models/{model}'],
  [apigwv2.HttpMethod.GET, '/models/{model}/versions/{version}'],
  [apigwv2.HttpMethod.GET, '/models/{model}/runs'],
  [apigwv2.HttpMethod.POST, '/models/{model}/runs'],
  [apigwv2.HttpMethod.POST, '/models/{model}/labels'],
  [apigwv2.HttpMethod.GET, '/models/{model}/audit/verify'],
  [apigwv2.HttpMethod.POST, '/models/{model}/versions'],
  [apigwv2.HttpMethod.POST, '/models/{model}/versions/{version}/approve'],
  [apigwv2.HttpMethod.POST, '/models/{model}/versions/{version}/reject'],
  [apigwv2.HttpMethod.POST, '/models/{model}/versions/{version}/shadow'],
  [apigwv2.HttpMethod.POST, '/models/{model}/shadow/stop'],
  [apigwv2.HttpMethod.POST, '/models/{model}/rollback'],
  [apigwv2.HttpMethod.POST, '/models/{model}/deployment/abort'],
  [apigwv2.HttpMethod.POST, '/models/{model}/events/replay'],
];

/** An OpenID Connect issuer that signs the callers' JWTs (an existing Cognito pool, Okta, Entra ID, ...). */
export interface JwtIssuer {
  /** Issuer URL, the `iss` claim (e.g. `https://cognito-idp.<region>.amazonaws.com/<pool id>`). */
  readonly issuer: string;
  /** Accepted `aud` (or Cognito `client_id`) values. */
  readonly audience: string[];
}

/** An IAM role of automation (a CI pipeline, a scheduler) and the approval API roles it holds. */
export type AutomationRole = AccessPolicy['automationRoles'][number];

/** Props of `ApprovalApi`. */
export interface ApprovalApiProps {
  /** The registry the API reads and changes (through the registry's own code, with the caller as the actor). */
  readonly registry: IModelRegistry;
  /**
   * The one model this API answers for; requests naming another model get 404.
   * @default - every model in the registry
   */
  readonly modelName?: string;
  /**
   * The identity provider's group whose members may approve and reject versions.
   * @default 'approvers'
   */
  readonly approverGroup?: string;
  /**
   * The group whose members may roll back the live version, abort a deployment and replay registry events.
   * @default 'operators'
   */
  readonly operatorGroup?: string;
  /**
   * The group whose members may register versions trained elsewhere (BYOM) and start training runs.
   * @default 'developers'
   */
  readonly developerGroup?: string;
  /**
   * The token claim that lists a caller's groups (for an external OIDC issuer, the claim it puts groups in).
   * @default 'cognito:groups'
   */
  readonly rolesClaim?: string;
  /**
   * Whether the person who registered a version (or requested its run) may approve it.
   * @default false
   */
  readonly allowSelfApproval?: boolean;
  /**
   * IAM roles of automation that call the SigV4 routes, each with the roles it holds.
   * @default - none: only signed-in people call the API
   */
  readonly automationRoles?: AutomationRole[];
  /** CloudWatch namespace of the API function (`MLOps/<team>`). */
  readonly metricsNamespace: string;
  /**
   * Who may call the API.
   * @default - a Cognito user pool created here (admin-created users only, MFA required), a group per role of
   * `access`, and a public client for the CLI (authorization code with PKCE, loopback redirect `CLI_CALLBACK_URL`)
   */
  readonly jwtIssuer?: JwtIssuer;
  /**
   * Steady-state requests per second across the API.
   * @default 20
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst of requests above the rate.
   * @default 40
   */
  readonly throttlingBurstLimit?: number;
}

/**
 * The approval API: an HTTP API with a JWT authorizer in front of the registry. Reviewers list models, versions and
 * runs, and approve or reject versions; the caller's identity from the token is the audit row's actor. Approving a
 * version emits the registry event that starts the DeploymentFlow.
 */
export class ApprovalApi extends Construct {
  /** The HTTP API; every route needs a token the JWT authorizer accepts. */
  readonly httpApi: apigwv2.HttpApi;
  /** The `$default` stage: throttled, access-logged to an encrypted log group kept a year. */
  readonly stage: apigwv2.HttpStage;
  /** The function behind every route (lambdas/registry/api.handler.ts); it checks each route against `access`. */
  readonly handler: lambda.Function;
  /** The user pool, when this construct created it. */
  readonly userPool?: cognito.UserPool;
  /** The CLI's client of that pool. */
  readonly userPoolClient?: cognito.UserPoolClient;
  /** Clients of the pool whose tokens the authorizer accepts (the CLI's, and any `acceptClient` adds). */
  private readonly acceptedClients: cognito.IUserPoolClient[] = [];
  /** Browser origins allowed to call the API (CORS), added by `allowBrowserOrigin`. */
  private readonly browserOrigins: string[] = [];
  /** Who holds which role (the handler checks every route against it). */
  readonly access: AccessPolicy;

  constructor(scope: Construct, id: string, props: ApprovalApiProps) {
    super(scope, id);
    this.access = accessPolicyOf(props);
    this.validateProps(props);

    this.handler = new MlopsFunction(this, 'Handler', {
      entry: 'lambdas/registry/api.handler.ts',
      description: 'Approval API: list, show, approve and reject model versions; abort a deployment',
      serviceName: 'registry-api',
      metricsNamespace: props.metricsNamespace,
      environment: {
        REGISTRY_TABLE_NAME: props.registry.table.tableName,
        EVENT_BUS_NAME: props.registry.eventBus.eventBusName,
        [ACCESS_POLICY_ENV]: JSON.stringify(this.access),
        ...(props.modelName && { MODEL_NAME: props.modelName }),
      },
    });
    props.registry.grantRegistryWrite(this.handler);
    // `POST /models/{model}/events/replay` republishes registry events from the audit trail.
    props.registry.grantPutEvents(this.handler);
    acknowledge(
      this.handler,
      'Serverless-LambdaDLQ',
      'Invoked synchronously by API Gateway; errors go back to the HTTP caller, there is no asynchronous event to keep.',
    );

    let authorizer: apigwv2.IHttpRouteAuthorizer;
    if (props.jwtIssuer) {
      authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.jwtIssuer.issuer, { jwtAudience: props.jwtIssuer.audience });
    } else {
      this.userPool = new cognito.UserPool(this, 'UserPool', {
        selfSignUpEnabled: false,
        signInAliases: { email: true },
        mfa: cognito.Mfa.REQUIRED,
        mfaSecondFactor: { otp: true, sms: false },
        passwordPolicy: {
          minLength: 12,
          requireLowercase: true,
          requireUppercase: true,
          requireDigits: true,
          requireSymbols: true,
          tempPasswordValidity: Duration.days(3),
        },
        accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      acknowledge(
        this.userPool,
        'AwsSolutions-COG8',
        'Threat protection needs the Cognito Plus feature plan, a per-user cost the team opts into; the pool admits admin-created users only, with MFA required.',
      );
      this.userPoolClient = this.userPool.addClient('Client', publicClientOptions({ callbackUrls: [CLI_CALLBACK_URL] }));
      this.acceptedClients.push(this.userPoolClient);
      for (const [role, groupName] of Object.entries(this.access.groups)) {
        new cognito.CfnUserPoolGroup(this, `${role[0].toUpperCase()}${role.slice(1)}Group`, {
          userPoolId: this.userPool.userPoolId,
          groupName,
          description: `Holders of the ${role} role of the approval API`,
        });
      }
      // The issuer HttpUserPoolAuthorizer would name, with audiences read at synth so that clients added later count.
      authorizer = new HttpJwtAuthorizer('UserPoolAuthorizer', `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${this.userPool.userPoolId}`, {
        jwtAudience: Lazy.list({ produce: () => this.acceptedClients.map((client) => client.userPoolClientId) }),
      });
    }

    this.httpApi = new apigwv2.HttpApi(this, 'Api', {
      description: 'MLOps approval API',
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
    });
    const accessLogs = encryptedLogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stage = new apigwv2.HttpStage(this, 'Stage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttlingRateLimit ?? 20, burstLimit: props.throttlingBurstLimit ?? 40 },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            caller: '$context.authorizer.claims.sub',
            requestTime: '$context.requestTime',
            httpMethod: '$context.httpMethod',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });
    acknowledge(
      this.stage,
      'Serverless-APIGWXrayEnabled',
      'HTTP APIs do not support X-Ray tracing; the handler function is traced (active tracing) instead.',
    );

    const integration = new HttpLambdaIntegration('Registry', this.handler);
    for (const [method, path] of APPROVAL_API_ROUTES) {
      this.httpApi.addRoutes({ path, methods: [method], integration });
    }
    // Only when the policy names automation roles: an IAM route nobody holds a role on would be an unused door.
    if (this.access.automationRoles.length > 0) {
      const authorizer = new HttpIamAuthorizer();
      for (const [method, path] of APPROVAL_API_ROUTES) {
        this.httpApi.addRoutes({ path: `${IAM_ROUTE_PREFIX}${path}`, methods: [method], integration, authorizer });
      }
    }
  }

  /**
   * Lets an automation role call the SigV4 routes (`execute-api:Invoke` on `/iam/*` only). The role still needs an entry
   * in the access policy's automationRoles to hold any role there; a role of another account grants this in its own.
   */
  grantInvokeIamRoutes(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns: [this.httpApi.arnForExecuteApi('*', `${IAM_ROUTE_PREFIX}/*`)] });
  }

  /**
   * Lets the API abort the deployment in progress of `flow`'s model (`POST /models/{model}/deployment/abort`): it stops
   * the owning execution and has the flow's Release function roll it back. Without it, that route answers 409.
   */
  addDeploymentControl(flow: DeploymentFlow): void {
    for (const [name, value] of Object.entries(flow.controlEnvironment)) this.handler.addEnvironment(name, value);
    flow.grantAbort(this.handler);
  }

  /**
   * Has the authorizer accept ID and access tokens issued to `client` of this construct's user pool (e.g. the
   * console's). Throws when the API trusts an external issuer, whose clients are named in `jwtIssuer.audience`.
   */
  acceptClient(client: cognito.IUserPoolClient): void {
    if (!this.userPool) throw new Error(`${this.node.path}: acceptClient needs the user pool this construct creates; with jwtIssuer, list the client in jwtIssuer.audience`);
    this.acceptedClients.push(client);
  }

  /**
   * Lets a browser page served from `origin` (`https://host`, no path) call the API with a bearer token: CORS preflight
   * answers for that origin only, with the Authorization and Content-Type headers and the API's methods.
   */
  allowBrowserOrigin(origin: string): void {
    this.browserOrigins.push(origin);
    const api = this.httpApi.node.defaultChild as apigwv2.CfnApi;
    api.corsConfiguration = {
      allowOrigins: Lazy.list({ produce: () => this.browserOrigins }),
      allowHeaders: ['authorization', 'content-type'],
      allowMethods: ['GET', 'POST'],
      allowCredentials: false,
      maxAge: Duration.hours(1).toSeconds(),
    };
  }

  /**
   * Lets developers start training runs through the API (`POST /models/{model}/runs`): the run's input names the
   * signed-in requester, whom the Register step records as the version's registrant (so they cannot approve it).
   * Without it, that route answers 409.
   */
  addTrainingPipeline(pipeline: TrainingPipeline): void {
    this.handler.addEnvironment('TRAINING_STATE_MACHINE_ARN', pipeline.stateMachine.stateMachineArn);
    pipeline.grantStartExecution(this.handler);
  }

  /** The API's base URL (ends with `/`). */
  get url(): string {
    return this.stage.url;
  }

  /** 5xx responses of the API. */
  metricServerErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.httpApi.metricServerError({ period: Duration.minutes(5), ...props });
  }

  /** Latency of the API (p99 unless overridden). */
  metricLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.httpApi.metricLatency({ statistic: cloudwatch.Stats.p(99), period: Duration.minutes(5), ...props });
  }

  /** Every problem of the props at once, each naming the prop, the rule and the value. */
  private validateProps(props: ApprovalApiProps): void {
    const rateLimit = props.throttlingRateLimit ?? 20;
    const burstLimit = props.throttlingBurstLimit ?? 40;
    const problems: string[] = [];
    if (!(rateLimit > 0)) problems.push(`throttlingRateLimit must be > 0, got: ${rateLimit}`);
    if (!(Number.isInteger(burstLimit) && burstLimit > 0)) problems.push(`throttlingBurstLimit must be an integer > 0, got: ${burstLimit}`);
    if (props.jwtIssuer && !/^https:\/\//.test(props.jwtIssuer.issuer)) {
      problems.push(`jwtIssuer.issuer must be an https:// URL, got: "${props.jwtIssuer.issuer}"`);
    }
    if (props.jwtIssuer && props.jwtIssuer.audience.length === 0) problems.push('jwtIssuer.audience must name at least one audience');
    throwOnPropProblems(this, problems);
  }
}

/** The access policy the API function enforces, from the flat props and their defaults. */
function accessPolicyOf(props: ApprovalApiProps): AccessPolicy {
  const defaults = DEFAULT_ACCESS_POLICY;
  return {
    groups: {
      approver: props.approverGroup ?? defaults.groups.approver,
      operator: props.operatorGroup ?? defaults.groups.operator,
      developer: props.developerGroup ?? defaults.groups.developer,
    },
    rolesClaim: props.rolesClaim ?? defaults.rolesClaim,
    allowSelfApproval: props.allowSelfApproval ?? defaults.allowSelfApproval,
    automationRoles: props.automationRoles ?? defaults.automationRoles,
  };
}
