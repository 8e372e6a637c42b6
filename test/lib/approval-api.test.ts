import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_API_ROUTES, ApprovalApi } from '../../lib/approval-api';
import { ModelRegistry } from '../../lib/model-registry';

function apiStack(props: Partial<ConstructorParameters<typeof ApprovalApi>[2]> = {}) {
  const stack = new Stack(new App(), 'Test');
  const registry = new ModelRegistry(stack, 'Registry', { metricsNamespace: 'MLOps/fraud' });
  const api = new ApprovalApi(stack, 'Api', { registry, metricsNamespace: 'MLOps/fraud', ...props });
  return { stack, api };
}

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

  it('answers for every model of the registry by default, for one model when modelName is set', () => {
    const variables = (t: Template) =>
      (Object.values(t.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Approval API') } }))[0] as {
        Properties: { Environment: { Variables: Record<string, unknown> } };
      }).Properties.Environment.Variables;
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

  it('uses a given issuer instead of creating a user pool', () => {
    const { stack } = apiStack({ jwtIssuer: { issuer: 'https://login.example.com/', audience: ['mlops'] } });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::Cognito::UserPool', 0);
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { JwtConfiguration: { Issuer: 'https://login.example.com/', Audience: ['mlops'] } });
  });

  it('rejects a non-https issuer and a bad throttle with the value', () => {
    expect(() => apiStack({ jwtIssuer: { issuer: 'http://x', audience: ['a'] }, throttlingBurstLimit: 0 })).toThrow(
      /jwtIssuer.issuer must be an https:\/\/ URL, got: "http:\/\/x".*|throttlingBurstLimit must be an integer > 0, got: 0/,
    );
  });
});
