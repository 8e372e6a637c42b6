import { z } from 'zod';
import type { Twin } from '../twin';
import type { ConsoleConfig } from '../../contracts/console-config';
import {
  type AlarmView,
  dashboardBodySchema,
  type DashboardsResponse,
  type MetricResult,
  type MetricsResponse,
  metricsRequestSchema,
  type TwinState,
} from '../../contracts/twin-api';
import { HostedSignIn } from '../services/apigateway/hosted-sign-in';
import { UserDirectory } from '../services/apigateway/user-directory';
import { canonicalStat } from '../services/cloudwatch/metric-store';
import { json, type Route, type TwinRequest } from './twin-server';

// Local identities such as you@localhost are fine here: the twin is the identity provider, nothing is mailed.
const tokenRequestSchema = z.object({ email: z.string().regex(/^[^@\s]+@[^@\s]+$/, 'expected an address like you@localhost') });

/**
 * The console's endpoints: `GET /config.json` (what the console reads at start), the hosted sign-in
 * (`/oauth2/authorize`, `/oauth2/token`, `/logout`; services/apigateway/hosted-sign-in.ts), `GET /twin/state`,
 * `GET /twin/dashboard`, `POST /twin/metrics` (GetMetricData-like; periods in template seconds, timestamps real epoch
 * ms) and `POST /twin/auth/token` (a token from the twin's identity provider for the HTTP API's JWT authorizer, without
 * signing in: for the driver and tests).
 */
export function consoleRoute(twin: Twin): Route {
  const signIn = new HostedSignIn(() => twin.app, twin.identity);
  const signInRoute = signIn.route();
  return async (request) => {
    if (request.method === 'GET' && request.url.pathname === '/config.json') return json(200, consoleConfig(twin, signIn), { 'cache-control': 'no-store' });
    const signInResponse = await signInRoute(request);
    if (signInResponse) return signInResponse;
    if (!request.url.pathname.startsWith('/twin/')) return undefined;
    const key = `${request.method} ${request.url.pathname}`;
    switch (key) {
      case 'GET /twin/state':
        return json(200, twinState(twin));
      case 'GET /twin/dashboard':
        return json(200, { dashboards: dashboards(twin) } satisfies DashboardsResponse);
      case 'POST /twin/metrics':
        return withBody(request, metricsRequestSchema, (body) => json(200, { results: queryMetrics(twin, body) } satisfies MetricsResponse));
      case 'POST /twin/auth/token':
        return withBody(request, tokenRequestSchema, async (body) => {
          const options = twin.httpApis.tokenOptions();
          if (!options) return json(404, { message: 'no HTTP API with a JWT authorizer in this app' });
          // A user of the directory gets their groups; any other address (the driver's demo@example.com, tests' names)
          // every group, as the driver acted before roles existed.
          const directory = new UserDirectory(twin.app);
          const groups = directory.find(body.email)?.groups ?? directory.groups;
          return json(200, { token: await twin.identity.issue({ ...options, email: body.email, groups }) });
        });
      case 'GET /twin/jwks.json':
        return json(200, await twin.identity.jwks());
      default:
        return json(404, { message: `no twin endpoint ${key}` });
    }
  };
}

/**
 * The twin's console config: the API mounted at /api, the twin's hosted sign-in, and the app client registered for the
 * console's URL (the ApprovalConsole's client, whose CloudFront callback is localized to the twin's root). Without such
 * a client there is no `auth`, and the console calls the API without a token.
 */
function consoleConfig(twin: Twin, signIn: HostedSignIn): ConsoleConfig {
  const client = signIn.clientWithCallback(`${twin.url}/`);
  return {
    apiUrl: '/api/',
    ...(client && {
      auth: { authorizeUrl: '/oauth2/authorize', tokenUrl: '/oauth2/token', logoutUrl: '/logout', clientId: client.clientId, scopes: [...client.scopes] },
    }),
    twin: true,
  };
}

async function withBody<T>(request: TwinRequest, schema: z.ZodType<T>, handle: (body: T) => Promise<ReturnType<typeof json>> | ReturnType<typeof json>) {
  let raw: unknown;
  try {
    raw = JSON.parse(request.body.toString('utf8') || '{}');
  } catch {
    return json(400, { message: 'the body must be JSON' });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return json(400, { message: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') });
  return handle(parsed.data);
}

function twinState(twin: Twin): TwinState {
  return {
    // The console divides its time ranges and periods by this, as the twin's clock runs that much faster.
    timeScale: twin.clock.scale,
    stacks: Object.entries(twin.app.outputs()).map(([stackName, outputs]) => ({ stackName, outputs })),
    // The flow each machine runs, as synthesized, so the console can draw the states still ahead of an execution.
    stateMachines: [...twin.states.machines.values()].map(({ name, definition }) => ({
      name,
      startAt: definition.StartAt,
      states: Object.fromEntries(Object.entries(definition.States).map(([state, { Type, Next, Default }]) => [state, { type: Type, next: Next, default: Default }])),
    })),
    executions: twin.states.executions.map((e) => ({
      executionArn: e.executionArn,
      stateMachineName: e.stateMachineName,
      name: e.name,
      status: e.status,
      startDate: e.startDate.toISOString(),
      stopDate: e.stopDate?.toISOString() ?? null,
      input: e.input,
      output: e.output ?? null,
      error: e.error ?? null,
      cause: e.cause ?? null,
      events: e.events,
      mapRuns: twin.states.mapRuns
        .filter((run) => run.executionArn === e.executionArn)
        .map(({ mapRunArn, stateName, status, itemCounts }) => ({ mapRunArn, stateName, status, itemCounts: { ...itemCounts } })),
    })),
    alarms: twin.alarms.definitions.map((a): AlarmView => {
      const state = twin.alarms.states.get(a.name)!;
      const single = a.expression ? undefined : a.metrics[0];
      return {
        alarmName: a.name,
        state: state.value,
        reason: state.reason,
        updatedAt: state.updatedAt,
        namespace: single?.namespace ?? a.metrics[0]?.namespace,
        metricName: single?.metricName ?? a.expression?.expression,
        dimensions: single?.dimensions ?? a.metrics[0]?.dimensions ?? {},
        threshold: a.threshold,
        comparisonOperator: a.comparisonOperator,
      };
    }),
    functions: [...twin.lambda.functions.values()].map((f) => ({
      name: f.latest.name,
      aliases: [...f.aliases.values()].map((a) => ({
        name: a.name,
        version: a.functionVersion,
        routing: Object.keys(a.additionalVersionWeights).length ? a.additionalVersionWeights : null,
      })),
    })),
    timeline: twin.timeline.entries,
  };
}

function dashboards(twin: Twin): DashboardsResponse['dashboards'] {
  return twin.app.resourcesOfType('AWS::CloudWatch::Dashboard').map(({ stack, logicalId }) => {
    const props = stack.properties(logicalId);
    const body = typeof props.DashboardBody === 'string' ? props.DashboardBody : JSON.stringify(props.DashboardBody);
    // A body the twin cannot read as a dashboard is passed on as text; the console reports it.
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return { name: stack.ref(logicalId), body };
    }
    const dashboard = dashboardBodySchema.safeParse(parsed);
    return { name: stack.ref(logicalId), body: dashboard.success ? dashboard.data : body };
  });
}

function queryMetrics(twin: Twin, body: z.infer<typeof metricsRequestSchema>): MetricResult[] {
  const toMs = (t: string | number | undefined, fallback: number) => (t === undefined ? fallback : typeof t === 'number' ? t : Date.parse(t));
  const end = toMs(body.end, Date.now() + 1);
  return body.queries.map((q) => {
    const periodMs = twin.clock.realMs(q.period * 1000);
    const start = toMs(body.start, end - periodMs * 300);
    try {
      const series = twin.metrics.query({ namespace: q.namespace, metricName: q.metricName, dimensions: q.dimensions, stat: canonicalStat(q.stat), periodMs }, start, end);
      return { id: q.id, timestamps: series.timestamps, values: series.values };
    } catch (err) {
      return { id: q.id, timestamps: [], values: [], error: (err as Error).message };
    }
  });
}
