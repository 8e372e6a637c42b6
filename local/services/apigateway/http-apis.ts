import type { SynthesizedApp } from '../../assembly/synthesized-app';
import { json, type Route, type TwinRequest } from '../../http/twin-server';
import type { LambdaService } from '../lambda/lambda-service';
import { proxyEvent, proxyResponse } from '../lambda/proxy-integration';
import { type IdentityProvider, TokenRejectedError } from './identity-provider';

interface JwtAuthorizer {
  readonly issuer: string;
  readonly audience: string[];
}

interface ApiRoute {
  readonly method: string;
  readonly path: string;
  readonly routeKey: string;
  readonly functionArn?: string;
  readonly authorizer?: JwtAuthorizer;
  readonly scopes: string[];
}

interface HttpApi {
  readonly id: string;
  readonly stages: string[];
  readonly routes: ApiRoute[];
}

/**
 * AWS::ApiGatewayV2 HTTP APIs served at `<twin>/api/<apiId>/[<stage>/]...`: routes (`METHOD /path/{param}`,
 * `{proxy+}`, `ANY`, `$default`) matched most-specific first, Lambda proxy integrations with payload format 2.0,
 * and JWT authorizers verified against the twin's identity provider (claims in
 * `requestContext.authorizer.jwt.claims`, scopes checked against AuthorizationScopes). CORS and throttling are not
 * emulated.
 */
export class HttpApis {
  readonly apis = new Map<string, HttpApi>();

  constructor(
    private app: SynthesizedApp,
    private readonly lambda: LambdaService,
    private readonly identity: IdentityProvider,
  ) {
    this.load(app);
  }

  /** A stack update: APIs, routes, integrations and authorizers read again from the new templates. */
  reconcile(app: SynthesizedApp): void {
    this.app = app;
    this.apis.clear();
    this.load(app);
  }

  private load(app: SynthesizedApp): void {
    for (const { stack, logicalId } of app.resourcesOfType('AWS::ApiGatewayV2::Api')) {
      if (stack.properties(logicalId).ProtocolType !== 'HTTP') continue;
      const id = stack.ref(logicalId);
      const byRef = (type: string) =>
        new Map(
          app
            .resourcesOfType(type)
            .filter((r) => r.stack.properties(r.logicalId).ApiId === id)
            .map((r) => [r.stack.ref(r.logicalId), r.stack.properties(r.logicalId)]),
        );
      const integrations = byRef('AWS::ApiGatewayV2::Integration');
      const authorizers = byRef('AWS::ApiGatewayV2::Authorizer');
      const routes: ApiRoute[] = [...byRef('AWS::ApiGatewayV2::Route').values()].map((route) => {
        const routeKey = String(route.RouteKey);
        const [method, path] = routeKey === '$default' ? ['ANY', '$default'] : routeKey.split(' ');
        const integration = integrations.get(String(route.Target ?? '').replace(/^integrations\//, ''));
        const authorizer = route.AuthorizationType === 'JWT' ? authorizers.get(String(route.AuthorizerId)) : undefined;
        const jwt = authorizer?.JwtConfiguration as { Issuer: string; Audience?: string[] } | undefined;
        return {
          method,
          path,
          routeKey,
          functionArn: integration?.IntegrationType === 'AWS_PROXY' ? String(integration.IntegrationUri) : undefined,
          authorizer: jwt ? { issuer: jwt.Issuer, audience: jwt.Audience ?? [] } : undefined,
          scopes: ((route.AuthorizationScopes as string[]) ?? []).map(String),
        };
      });
      const stages = [...byRef('AWS::ApiGatewayV2::Stage').values()].map((s) => String(s.StageName));
      this.apis.set(id, { id, stages, routes: routes.sort(bySpecificity) });
    }
  }

  /** The issuer, audiences and every scope of the first JWT-authorized API: what a token for the console needs. */
  tokenOptions(): { issuer: string; audience: string[]; scopes: string[] } | undefined {
    for (const api of this.apis.values()) {
      const authorized = api.routes.filter((r) => r.authorizer);
      if (authorized.length) {
        return {
          issuer: authorized[0].authorizer!.issuer,
          audience: [...new Set(authorized.flatMap((r) => r.authorizer!.audience))],
          scopes: [...new Set(authorized.flatMap((r) => r.scopes))],
        };
      }
    }
    return undefined;
  }

  route(): Route {
    return async (request) => {
      const match = /^\/api(?:\/([^/]+))?(\/.*)?$/.exec(request.url.pathname);
      if (!match) return undefined;
      // `/api/<apiId>/...` names the API; with a single HTTP API, `/api/...` reaches it too (the console's base path).
      let api = match[1] ? this.apis.get(match[1]) : undefined;
      let path = match[2] ?? '/';
      if (!api && this.apis.size === 1) {
        api = [...this.apis.values()][0];
        path = request.url.pathname.slice('/api'.length) || '/';
      }
      if (!api) return json(404, { message: 'Not Found' });
      if (!api.stages.includes('$default')) {
        const stage = path.split('/')[1];
        if (!api.stages.includes(stage)) return json(404, { message: 'Not Found' });
        path = path.slice(stage.length + 1) || '/';
      }
      if (request.method === 'OPTIONS') return { status: 204, headers: corsHeaders() };
      return this.handle(api, request, path);
    };
  }

  private async handle(api: HttpApi, request: TwinRequest, path: string) {
    for (const route of api.routes) {
      const params = matchRoute(route, request.method, path);
      if (!params) continue;
      let authorizer: unknown;
      if (route.authorizer) {
        const header = String(request.headers.authorization ?? '');
        const token = header.replace(/^Bearer\s+/i, '');
        if (!token) return json(401, { message: 'Unauthorized' }, corsHeaders());
        try {
          const claims = await this.identity.verify(token, route.authorizer.issuer, route.authorizer.audience);
          const granted = String(claims.scope ?? '').split(' ');
          if (route.scopes.length && !route.scopes.some((s) => granted.includes(s))) return json(403, { message: 'Forbidden' }, corsHeaders());
          authorizer = { jwt: { claims: stringClaims(claims), scopes: route.scopes.length ? route.scopes : null } };
        } catch (err) {
          if (err instanceof TokenRejectedError) return json(401, { message: 'Unauthorized' }, corsHeaders());
          throw err;
        }
      }
      if (!route.functionArn) return json(500, { message: 'Internal Server Error' });
      const event = proxyEvent(request, path, {
        apiId: api.id,
        routeKey: route.routeKey,
        stage: api.stages[0] ?? '$default',
        accountId: this.app.env.accountId,
        pathParameters: params,
        authorizer,
      });
      const { outcome } = await this.lambda.invoke(route.functionArn, event);
      const response = proxyResponse(outcome);
      return { ...response, headers: { ...corsHeaders(), ...response.headers } };
    }
    return json(404, { message: 'Not Found' }, corsHeaders());
  }
}

/** The console is served from the same origin; these headers let a dev server on another port call the API too. */
function corsHeaders(): Record<string, string> {
  return { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'authorization,content-type', 'access-control-allow-methods': 'GET,POST,PUT,DELETE,OPTIONS' };
}

/** API Gateway puts claims in the event as strings (arrays as "[a b]"). */
function stringClaims(claims: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(claims).map(([k, v]) => [k, Array.isArray(v) ? `[${v.join(' ')}]` : String(v)]));
}

function matchRoute(route: ApiRoute, method: string, path: string): Record<string, string> | undefined {
  if (route.method !== 'ANY' && route.method !== method) return undefined;
  if (route.path === '$default') return {};
  const pattern = route.path.split('/');
  const actual = path.split('/');
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i];
    const greedy = /^\{(.+)\+\}$/.exec(part);
    if (greedy) {
      params[greedy[1]] = actual.slice(i).map(decodeURIComponent).join('/');
      return actual.length > i ? params : undefined;
    }
    if (actual[i] === undefined) return undefined;
    const param = /^\{(.+)\}$/.exec(part);
    if (param) {
      if (actual[i] === '') return undefined;
      params[param[1]] = decodeURIComponent(actual[i]);
    } else if (part !== actual[i]) return undefined;
  }
  return pattern.length === actual.length ? params : undefined;
}

/** Literal segments before parameters before greedy paths before $default, as API Gateway prefers. */
function bySpecificity(a: ApiRoute, b: ApiRoute): number {
  const score = (r: ApiRoute) =>
    r.path === '$default' ? [3, 0] : [r.path.includes('+}') ? 2 : 0, -r.path.split('/').filter((p) => !p.startsWith('{')).length, r.method === 'ANY' ? 1 : 0];
  const [sa, sb] = [score(a), score(b)];
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) if ((sa[i] ?? 0) !== (sb[i] ?? 0)) return (sa[i] ?? 0) - (sb[i] ?? 0);
  return 0;
}
