import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_API_ROUTES, ApprovalApi, CLI_CALLBACK_URL } from '../../lib/approval-api';
import { DEFAULT_ACCESS_POLICY } from '../../contracts/access-policy';
import { ModelRegistry } from '../../lib/model-registry';

function apiStack(props: Partial<ConstructorParameters<typeof ApprovalApi>[2]> = {}) {
  const stack = new Stack(new App(), 'Test');
  const registry = new ModelRegistry(stack, 'Registry', { metricsNamespace: 'MLOps/fraud' });
  const api = new ApprovalApi(stack, 'Api', { registry, metricsNamespace: 'MLOps/fraud', ...props });
  return { stack, api };
}

const variables = (t: Template) =>
  (Object.values(t.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Approval API') } }))[0] as {
    Properties: { Environment: { Variables: Record<string, unknown> } };
  }).Properties.Environment.Variables;

describe('ApprovalApi', () => {
  let template: Template;
  beforeAll(() => {
    template = Template.fromStack(apiStack().stack);
  });

  it('routes every registry endpoint through the JWT authorizer', () => {
    for (const [method, path] of APPROVAL_API_ROUTES) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: `${method} ${path}`, AuthorizationType: 'JWT' });
    }
    template.resourceCountIs('AWS::ApiGatewayV2::Route', APPROVAL_API_ROUTES.length);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerType: 'JWT' });
  });

  it('adds the SigV4 routes under /iam only for an access policy with automation roles, and grants invoking them alone', () => {
    const automationRoles = [{ roleArn: 'arn:aws:iam::123456789012:role/release-bot', roles: ['approver' as const] }];
    const access = { ...DEFAULT_ACCESS_POLICY, automationRoles };
    const { stack, api } = apiStack({ automationRoles });
    const bot = new iam.Role(stack, 'Bot', { assumedBy: new iam.AccountRootPrincipal() });
    api.grantInvokeIamRoutes(bot);
    const automated = Template.fromStack(stack);
    for (const [method, path] of APPROVAL_API_ROUTES) {
      automated.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: `${method} /iam${path}`, AuthorizationType: 'AWS_IAM' });
    }
    automated.resourceCountIs('AWS::ApiGatewayV2::Route', 2 * APPROVAL_API_ROUTES.length);
    automated.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Bot') }],
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'execute-api:Invoke', Resource: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/\\*/\\*/iam/\\*$')])] } })] },
    });
    expect(JSON.parse(JSON.stringify(variables(automated)))).toMatchObject({ ACCESS_POLICY: JSON.stringify(access) });
  });

  it('answers for every model of the registry by default, for one model when modelName is set', () => {
    expect(variables(template).MODEL_NAME).toBeUndefined();
    expect(variables(Template.fromStack(apiStack({ modelName: 'card-fraud' }).stack)).MODEL_NAME).toBe('card-fraud');
  });

  it('logs access as JSON and throttles the stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"') },
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
    });
  });

  it('creates an admin-only user pool with MFA and a public client', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', { GenerateSecret: false });
  });

  it('gives the CLI client only the authorization-code grant, redirecting to the loopback, with email read-only', () => {
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      CallbackURLs: [CLI_CALLBACK_URL],
      LogoutURLs: Match.absent(),
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      ReadAttributes: Match.arrayWith(['email', 'email_verified']),
      WriteAttributes: ['name'],
      IdTokenValidity: 60,
      AccessTokenValidity: 60,
      RefreshTokenValidity: 720,
      TokenValidityUnits: { IdToken: 'minutes', AccessToken: 'minutes', RefreshToken: 'minutes' },
      EnableTokenRevocation: true,
      GenerateSecret: false,
    });
    expect(CLI_CALLBACK_URL).toBe('http://localhost:8976/callback');
    const client = Object.values(template.findResources('AWS::Cognito::UserPoolClient'))[0] as { Properties: Record<string, unknown> };
    expect(JSON.stringify(client.Properties)).not.toMatch(/implicit|example\.com/);
  });

  it('creates a Cognito group per role of the access policy, and the authorizer accepts the CLI client', () => {
    for (const group of ['approvers', 'operators', 'developers']) {
      template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: group, UserPoolId: Match.anyValue() });
    }
    template.resourceCountIs('AWS::Cognito::UserPoolGroup', 3);
    const named = Template.fromStack(apiStack({ approverGroup: 'risk', operatorGroup: 'sre', developerGroup: 'ds' }).stack);
    named.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'risk' });
    const client = Object.keys(template.findResources('AWS::Cognito::UserPoolClient'))[0];
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { JwtConfiguration: { Audience: [{ Ref: client }], Issuer: Match.anyValue() } });
  });

  it('has no CORS until a browser origin is allowed', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.absent() });
  });

  it('uses a given issuer instead of creating a user pool', () => {
    const { stack } = apiStack({ jwtIssuer: { issuer: 'https://login.example.com/', audience: ['mlops'] } });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::Cognito::UserPool', 0);
    t.resourceCountIs('AWS::Cognito::UserPoolGroup', 0);
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { JwtConfiguration: { Issuer: 'https://login.example.com/', Audience: ['mlops'] } });
  });

  it('reports a non-https issuer and a bad throttle in one error, each with the value', () => {
    expect(() => apiStack({ jwtIssuer: { issuer: 'http://x', audience: ['a'] }, throttlingBurstLimit: 0 })).toThrow(
      [
        'Test/Api: invalid props:',
        '  - throttlingBurstLimit must be an integer > 0, got: 0',
        '  - jwtIssuer.issuer must be an https:// URL, got: "http://x"',
      ].join('\n'),
    );
  });
});
