import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ApprovalApi } from '../../lib/approval-api';
import { ApprovalConsole } from '../../lib/approval-console';
import { ModelRegistry } from '../../lib/model-registry';
import { nagFindings } from './monitoring/nag';

function consoleStack(consoleProps: Partial<ConstructorParameters<typeof ApprovalConsole>[2]> = {}, apiProps: Partial<ConstructorParameters<typeof ApprovalApi>[2]> = {}) {
  const app = new App();
  const stack = new Stack(app, 'Team', { env: { account: '123456789012', region: 'eu-west-1' } });
  const registry = new ModelRegistry(stack, 'Registry', { metricsNamespace: 'MLOps/fraud' });
  const api = new ApprovalApi(stack, 'Api', { registry, metricsNamespace: 'MLOps/fraud', ...apiProps });
  const approvalConsole = new ApprovalConsole(stack, 'Console', { approvalApi: api, ...consoleProps });
  return { app, stack, api, approvalConsole };
}

/** The first resource of a type whose logical id starts with `prefix`. */
const logicalIdOf = (template: Template, type: string, prefix: string) => Object.keys(template.findResources(type)).find((id) => id.startsWith(prefix))!;

describe('ApprovalConsole', () => {
  let template: Template;
  let findings: string[];
  let outdir: string;
  beforeAll(() => {
    const { app, stack } = consoleStack();
    template = Template.fromStack(stack);
    outdir = app.outdir;
    findings = nagFindings(app);
  });

  it('has no unacknowledged AwsSolutions or Serverless findings', () => {
    expect(findings).toEqual([]);
  });

  it('keeps the content bucket private, encrypted, versioned, SSL-only and access-logged', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'console/' },
    });
    const content = logicalIdOf(template, 'AWS::S3::Bucket', 'ConsoleContent');
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: content } } }))[0] as {
      Properties: { PolicyDocument: { Statement: Array<{ Effect: string; Principal: unknown; Condition?: unknown; Action: unknown }> } };
    };
    const statements = policy.Properties.PolicyDocument.Statement;
    // Only CloudFront (this distribution) reads; everyone else is denied plain HTTP; nobody else is allowed anything
    expect(statements.filter((s) => s.Effect === 'Allow')).toEqual([
      expect.objectContaining({
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Condition: { StringEquals: { 'AWS:SourceArn': expect.anything() } },
      }),
    ]);
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });

  it('serves it over HTTPS only through CloudFront with Origin Access Control, index.html at the root, and logs requests', () => {
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' },
    });
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'https-only', ResponseHeadersPolicyId: Match.anyValue() }),
        Origins: [Match.objectLike({ OriginAccessControlId: Match.anyValue(), S3OriginConfig: { OriginAccessIdentity: '' } })],
        Logging: Match.objectLike({ Prefix: 'console-cdn/' }),
      }),
    });
  });

  it('sends security headers: HSTS, a CSP of self, the API and the sign-in domain, nosniff, no framing, no referrer', () => {
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: {
          StrictTransportSecurity: { AccessControlMaxAgeSec: 63072000, IncludeSubdomains: true, Override: true },
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
          ContentSecurityPolicy: { ContentSecurityPolicy: Match.anyValue(), Override: true },
        },
      }),
    });
    const csp = JSON.stringify(
      (Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0] as { Properties: { ResponseHeadersPolicyConfig: { SecurityHeadersConfig: { ContentSecurityPolicy: unknown } } } })
        .Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy,
    );
    expect(csp).toContain("default-src 'self'; script-src 'self'; style-src 'self'");
    expect(csp).toContain("connect-src 'self' https://*.execute-api.eu-west-1.");
    expect(csp).toContain('.auth.eu-west-1.amazoncognito.com');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
  });

  it('signs in through a hosted domain with a client that only has the authorization-code grant, redirecting to the console', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'team-123456789012' });
    const distribution = logicalIdOf(template, 'AWS::CloudFront::Distribution', 'ConsoleDistribution');
    const consoleUrl = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution, 'DomainName'] }, '/']] };
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      CallbackURLs: [consoleUrl],
      LogoutURLs: [consoleUrl],
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      SupportedIdentityProviders: ['COGNITO'],
      ReadAttributes: ['email', 'email_verified', 'name'],
      WriteAttributes: ['name'],
    });
  });

  it('has the API accept the console client tokens and calls from the console origin only', () => {
    const consoleClient = logicalIdOf(template, 'AWS::Cognito::UserPoolClient', 'ConsoleClient');
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Audience: Match.arrayWith([{ Ref: consoleClient }]), Issuer: Match.anyValue() },
    });
    const distribution = logicalIdOf(template, 'AWS::CloudFront::Distribution', 'ConsoleDistribution');
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: [{ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution, 'DomainName'] }]] }],
        AllowHeaders: ['authorization', 'content-type'],
        AllowMethods: ['GET', 'POST'],
        AllowCredentials: false,
        MaxAge: 3600,
      },
    });
  });

  it('deploys the bundle and a config.json naming the API, the sign-in endpoints and the client, revalidated on every load', () => {
    const deployment = Object.values(template.findResources('Custom::CDKBucketDeployment'))[0] as { Properties: Record<string, unknown> };
    expect(deployment.Properties).toMatchObject({ SourceObjectKeys: [expect.any(String), expect.any(String)], Prune: true, SystemMetadata: { 'cache-control': 'no-cache' } });
    // the first source is the console bundle built at synth, without the twin's source map
    const bundleKey = (deployment.Properties.SourceObjectKeys as string[])[0];
    expect(readdirSync(join(outdir, `asset.${bundleKey.replace(/\.zip$/, '')}`)).sort()).toEqual(['app.js', 'index.html', 'styles.css']);
    // config.json is the second source; its deploy-time values are markers the deployment replaces
    const configKey = (deployment.Properties.SourceObjectKeys as string[])[1];
    const config = JSON.parse(readFileSync(join(outdir, `asset.${configKey.replace(/\.zip$/, '')}`, 'config.json'), 'utf8'));
    const markers = (deployment.Properties.SourceMarkers as Record<string, { Ref: string }>[])[1];
    const resolved = JSON.parse(JSON.stringify(config).replace(/<<marker:0xbaba:\d+>>/g, (marker) => `<${markers[marker].Ref}>`));
    const consoleClient = logicalIdOf(template, 'AWS::Cognito::UserPoolClient', 'ConsoleClient');
    const domain = logicalIdOf(template, 'AWS::Cognito::UserPoolDomain', 'ApiUserPoolSignInDomain');
    expect(resolved).toEqual({
      apiUrl: `https://<${logicalIdOf(template, 'AWS::ApiGatewayV2::Api', 'Api')}>.execute-api.eu-west-1.<AWS::URLSuffix>/`,
      auth: {
        authorizeUrl: `https://<${domain}>.auth.eu-west-1.amazoncognito.com/oauth2/authorize`,
        tokenUrl: `https://<${domain}>.auth.eu-west-1.amazoncognito.com/oauth2/token`,
        logoutUrl: `https://<${domain}>.auth.eu-west-1.amazoncognito.com/logout`,
        clientId: `<${consoleClient}>`,
        scopes: ['openid', 'email', 'profile'],
      },
      twin: false,
    });
  });

  it('attaches a given WAF web ACL to the distribution', () => {
    const webAclArn = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/console/1';
    Template.fromStack(consoleStack({ webAclArn }).stack).hasResourceProperties('AWS::CloudFront::Distribution', { DistributionConfig: Match.objectLike({ WebACLId: webAclArn }) });
  });

  it('refuses an API that trusts an external issuer and a bad domain prefix, naming both at once', () => {
    expect(() =>
      consoleStack({ domainPrefix: 'My-AWS-console' }, { jwtIssuer: { issuer: 'https://login.example.com/', audience: ['mlops'] } }),
    ).toThrow(
      /approvalApi must create its own user pool[\s\S]*domainPrefix must be 1-63 lower-case letters[\s\S]*got: "My-AWS-console"/,
    );
    expect(() => consoleStack({ domainPrefix: 'team-cognito' })).toThrow(/domainPrefix must not contain "cognito" \(Cognito refuses it\), got: "team-cognito"/);
  });
});
