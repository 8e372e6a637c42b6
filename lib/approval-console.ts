import path from 'node:path';
import { DockerImage, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { bundleConsoleInto } from '../console/build';
import type { ConsoleConfig } from '../contracts/console-config';
import type { ApprovalApi } from './approval-api';
import { encryptedLogGroup } from './private/log-encryption';
import { prebuiltAssets } from './private/prebuilt-assets';
import { accessLogBucketProps, secureBucketProps } from './private/secure-bucket';
import { acknowledge, acknowledgeWildcardActions, acknowledgeWildcardResource } from './private/nag';
import { throwOnPropProblems } from './private/prop-problems';
import { PUBLIC_CLIENT_SCOPES, publicClientOptions } from './private/public-client';

/** Props of {@link ApprovalConsole}. */
export interface ApprovalConsoleProps {
  /** The approval API the console talks to; it must have created its own user pool (no `jwtIssuer`). */
  readonly approvalApi: ApprovalApi;
  /**
   * Prefix of the hosted sign-in domain, `https://<prefix>.auth.<region>.amazoncognito.com` (unique in the region;
   * lower-case letters, digits and hyphens; must not contain `aws`, `amazon` or `cognito`).
   * @default - the stack name in lower case and the account id, e.g. `mlops-fraud-123456789012`
   */
  readonly domainPrefix?: string;
  /**
   * Receives the content bucket's S3 server access logs (prefix `console/`) and CloudFront's standard logs (prefix
   * `console-cdn/`); it must allow ACLs (object ownership "bucket owner preferred"), which CloudFront logging needs.
   * @default - a logs bucket created here (encrypted, SSL only, logs kept a year)
   */
  readonly accessLogsBucket?: s3.IBucket;
  /**
   * A WAF web ACL (global scope, created in us-east-1) for the distribution.
   * @default - none
   */
  readonly webAclArn?: string;
  /**
   * Edge locations that serve the console.
   * @default cloudfront.PriceClass.PRICE_CLASS_100
   */
  readonly priceClass?: cloudfront.PriceClass;
}

const CONSOLE_SOURCE_DIR = path.join(__dirname, '..', 'console');
const RESERVED_PREFIX_WORDS = ['aws', 'amazon', 'cognito'];

/**
 * The console in the team's account: the bundle the twin serves, in a private S3 bucket behind CloudFront (Origin
 * Access Control, HTTPS only, security headers), signing people in through the approval API's Cognito user pool
 * (hosted sign-in with the pool's MFA, authorization code with PKCE). The console calls the approval API with the
 * user's ID token; the API decides what each person may do.
 */
export class ApprovalConsole extends Construct {
  /** The private bucket of the console bundle and its config.json; only the distribution reads it (OAC). */
  readonly bucket: s3.Bucket;
  /** The CloudFront distribution people open: HTTPS only, the security headers policy on every answer. */
  readonly distribution: cloudfront.Distribution;
  /** The user pool's hosted sign-in domain (`<domainPrefix>.auth.<region>.amazoncognito.com`). */
  readonly domain: cognito.UserPoolDomain;
  /** The console's app client: authorization code with PKCE, redirects to the distribution only. */
  readonly client: cognito.UserPoolClient;
  /** The bucket receiving access logs, when this construct created it. */
  readonly accessLogsBucket?: s3.Bucket;
  /** Strict CSP (the console, the approval API, the sign-in domain), HSTS, no framing, no referrer. */
  readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;

  constructor(scope: Construct, id: string, props: ApprovalConsoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const userPool = props.approvalApi.userPool;
    const domainPrefix = props.domainPrefix ?? `${stack.stackName.toLowerCase()}-${stack.account}`;
    throwOnPropProblems(this, [
      ...(userPool ? [] : ['approvalApi must create its own user pool (no jwtIssuer): an external issuer brings its own sign-in']),
      ...domainPrefixProblems(domainPrefix),
    ]);

    const logs = props.accessLogsBucket ?? this.createLogsBucket();
    this.bucket = new s3.Bucket(this, 'Content', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      ...secureBucketProps(logs, 'console/'),
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.domain = userPool!.addDomain('SignInDomain', { cognitoDomain: { domainPrefix } });
    const signIn = this.domain.baseUrl();
    // The API's CORS names the distribution's domain, so the headers policy (which the distribution uses) cannot name
    // the API's id without a dependency cycle: it allows HTTP APIs of this region, and only this console's origin
    // may call the API from a browser.
    const apiOrigin = `https://*.execute-api.${stack.region}.${stack.urlSuffix}`;
    this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'MLOps console: strict CSP (self, the approval API, the sign-in domain), HSTS, no framing',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: contentSecurityPolicy(apiOrigin, signIn), override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'MLOps approval console',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeadersPolicy,
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: props.priceClass ?? cloudfront.PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'console-cdn/',
      webAclId: props.webAclArn,
    });
    this.acknowledgeDistribution(props.webAclArn);

    // The console's own page is its only redirect target: the hosted sign-in returns there, and so does sign-out.
    const consoleUrl = this.url;
    this.client = new cognito.UserPoolClient(this, 'Client', {
      userPool: userPool!,
      ...publicClientOptions({ callbackUrls: [consoleUrl], logoutUrls: [consoleUrl] }),
    });
    props.approvalApi.acceptClient(this.client);
    props.approvalApi.allowBrowserOrigin(`https://${this.distribution.distributionDomainName}`);

    const config: ConsoleConfig = {
      apiUrl: props.approvalApi.url,
      auth: {
        authorizeUrl: `${signIn}/oauth2/authorize`,
        tokenUrl: `${signIn}/oauth2/token`,
        logoutUrl: `${signIn}/logout`,
        clientId: this.client.userPoolClientId,
        scopes: PUBLIC_CLIENT_SCOPES.map((scope) => scope.scopeName),
      },
      twin: false,
    };
    const bundle = consoleBundle(this);
    const deployment = new s3deploy.BucketDeployment(this, 'Deployment', {
      destinationBucket: this.bucket,
      sources: [s3deploy.Source.bucket(bundle.bucket, bundle.s3ObjectKey), s3deploy.Source.jsonData('config.json', config)],
      // Every file is revalidated, so a new deployment is seen at once without an invalidation (and without granting
      // the deployment function cloudfront:CreateInvalidation).
      cacheControl: [s3deploy.CacheControl.noCache()],
      memoryLimit: 256,
      // Instead of the log group CDK would make for its handler: retained a month, encrypted like every log group.
      logGroup: encryptedLogGroup(this, 'DeploymentLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
    });
    acknowledgeDeployment(deployment, bundle.bucket, this.bucket);
  }

  /** The console's https URL (ends with `/`). */
  get url(): string {
    return `https://${this.distribution.distributionDomainName}/`;
  }

  private createLogsBucket(): s3.Bucket {
    const bucket = new s3.Bucket(this, 'AccessLogs', {
      // CloudFront's standard logs are written with an ACL.
      ...accessLogBucketProps(s3.ObjectOwnership.BUCKET_OWNER_PREFERRED),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(bucket, 'AwsSolutions-S1', 'This is the access log bucket of the console; logging its own access would log every log delivery.');
    (this as { accessLogsBucket?: s3.Bucket }).accessLogsBucket = bucket;
    return bucket;
  }

  private acknowledgeDistribution(webAclArn: string | undefined): void {
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR1',
      'The console serves static files to the team; who may act is decided by Cognito sign-in and the approval API, not by the caller country.',
    );
    if (!webAclArn) {
      acknowledge(
        this.distribution,
        'AwsSolutions-CFR2',
        'Static files only, every action goes to the throttled approval API with a token; a team that wants WAF passes webAclArn (a us-east-1 web ACL).',
      );
    }
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR4',
      'The default *.cloudfront.net certificate fixes the viewer TLS policy (TLSv1); a minimum protocol version can only be set with a custom domain and certificate.',
    );
  }
}

/**
 * Only the console's own files, the approval API (HTTP APIs of the region) and the sign-in domain: no inline script or
 * style, no framing, no plugins. The token exchange is a fetch to the sign-in domain (connect-src).
 */
function contentSecurityPolicy(apiOrigin: string, signInOrigin: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${apiOrigin} ${signInOrigin}`,
    `form-action 'self' ${signInOrigin}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
}

/**
 * The console bundle (index.html, styles.css, app.js): prebuilt in the published package (tools/package/ writes it with
 * the same bundleConsoleInto), else built with esbuild at synth; no Docker needed either way.
 */
function consoleBundle(scope: Construct): s3assets.Asset {
  const prebuilt = prebuiltAssets()?.consoleBundle();
  if (prebuilt) return new s3assets.Asset(scope, 'Bundle', { path: prebuilt });
  return new s3assets.Asset(scope, 'Bundle', {
    path: CONSOLE_SOURCE_DIR,
    // The twin's build output is not part of the source.
    exclude: ['public/app.js', 'public/app.js.map'],
    bundling: {
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24-slim'),
      command: ['sh', '-c', 'echo "the console bundles locally with esbuild (npm ci installs it)" >&2; exit 1'],
      local: {
        tryBundle(outputDir) {
          bundleConsoleInto(outputDir);
          return true;
        },
      },
    },
  });
}

function domainPrefixProblems(prefix: string): string[] {
  if (Token.isUnresolved(prefix)) return [];
  const problems: string[] = [];
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(prefix)) {
    problems.push(`domainPrefix must be 1-63 lower-case letters, digits or hyphens, not starting or ending with a hyphen, got: "${prefix}"`);
  }
  const reserved = RESERVED_PREFIX_WORDS.filter((word) => prefix.includes(word));
  if (reserved.length) problems.push(`domainPrefix must not contain ${reserved.map((w) => `"${w}"`).join(' or ')} (Cognito refuses it), got: "${prefix}"`);
  return problems;
}

/**
 * The deployment runs CDK's own singleton function (Python with the awscli layer, at the stack's root); what cdk-nag
 * finds there is CDK's shape, acknowledged on that function with the grants it really has.
 */
function acknowledgeDeployment(deployment: s3deploy.BucketDeployment, assetBucket: s3.IBucket, contentBucket: s3.IBucket): void {
  const role = deployment.handlerRole;
  acknowledge(role, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', 'CDK BucketDeployment handler: the managed policy only lets it write its own logs.');
  acknowledgeWildcardActions(
    role,
    ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'],
    'CDK BucketDeployment grant action groups (read the bundle, sync the console objects), on exactly the CDK asset bucket and the console bucket.',
  );
  acknowledgeWildcardResource(role, contentBucket.arnForObjects('*'), 'The deployment syncs every object of the console bucket (it prunes files no longer in the bundle).');
  acknowledgeWildcardResource(role, assetBucket.arnForObjects('*'), 'The deployment reads the console bundle and config.json from the CDK asset bucket the app is bootstrapped with.');
  const functions = Stack.of(deployment).node.children.filter((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'));
  for (const fn of functions) {
    acknowledge(fn, 'AwsSolutions-L1', "CDK BucketDeployment's function: its Python runtime is pinned by the aws-cdk-lib version, which the project upgrades.");
    acknowledge(fn, 'Serverless-LambdaDLQ', 'Invoked synchronously by CloudFormation as a custom resource; a failure fails the stack operation, there is no event to keep.');
    acknowledge(fn, 'Serverless-LambdaLatestVersion', "CDK BucketDeployment's function: its runtime is pinned by the aws-cdk-lib version.");
    acknowledge(fn, 'Serverless-LambdaTracing', 'Runs only during stack deployments (an aws s3 sync); CloudFormation events and its log group record each run.');
  }
}
