import type { ApiErrorBody, ModelDetailView } from '../../contracts/registry-api';
import type { DeploymentControl } from '../deployment/deployment-control';
import type { AccessPolicy, Role } from '../../contracts/access-policy';
import { type Caller, displayName, type Principal } from './caller';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, RegistryError, UnauthorizedError } from './errors';
import { parseInput } from './parse-input';
import type { ModelRegistry } from './registry';
import type { ReplayOutcome } from './event-replay';
import type { StartedRun } from './training-runs';
import { type Decision, decisionBodySchema, type RegisterInput } from './schemas';
import { DEFAULT_SHADOW_SAMPLE_PERCENT, startShadowBodySchema } from '../../contracts/shadow-test';
import { modelView, versionSummaryView, versionView } from './views';
import { feedbackBodySchema, type FeedbackAcceptedView, type FeedbackBody } from '../../contracts/ground-truth';

/** An approval API request, reduced to what routing needs. `caller` is the authenticated identity, if any. */
export interface ApiRequest {
  method: string;
  path: string;
  body?: string;
  caller?: Caller;
}

export interface ApiResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** What the routes act on: the registry, and the deployment flow when the team's inference tier has one. */
export interface ApiServices {
  registry: ModelRegistry;
  /** Who holds which role; the groups named here appear in 403 answers. */
  access: AccessPolicy;
  deployments?: DeploymentControl;
  /** Starts a training run requested by `requestedBy` (body `{ reason, datasetUri? }`, validated there). */
  startRun?: (body: unknown, requestedBy: Principal) => Promise<StartedRun>;
  /** Republishes a model's registry events from its audit trail (`selection`: `{ version?, since? }`, validated there). */
  replayEvents?: (model: string, selection: unknown) => Promise<ReplayOutcome>;
  /** Stores validated labels of a model's predictions (`POST /models/{model}/labels`); unset: that route answers 409. */
  storeLabels?: (model: string, body: FeedbackBody) => Promise<FeedbackAcceptedView>;
  /** The one model the stack serves (its MODEL_NAME); any other answers 404. Unset: every model in the registry. */
  servedModel?: string;
}

interface RouteContext {
  services: ApiServices;
  params: string[];
  request: ApiRequest;
  caller: Caller;
  /** Throws ForbiddenError unless the caller holds `role`; `action` says what was refused, e.g. "approving". */
  require: (role: Role, action: string) => void;
}

type Route = {
  method: string;
  pattern: RegExp;
  /** The role every call of the route needs; routes whose role depends on the target check it in `run`. */
  role?: { role: Role; action: string };
  run: (context: RouteContext) => Promise<unknown>;
};

const SEGMENT = '([^/]+)';
const ROUTES: Route[] = [
  {
    method: 'GET',
    pattern: /^\/me$/,
    run: async ({ caller }) => ({ issuer: caller.issuer, subject: caller.subject, email: caller.email ?? null, roles: caller.roles }),
  },
  {
    method: 'GET',
    pattern: /^\/models$/,
    run: async ({ services: { registry, servedModel } }) => ({
      models: (await registry.listModels()).filter((m) => servedModel === undefined || m.model === servedModel).map(modelView),
    }),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/models/${SEGMENT}$`),
    run: async ({ services: { registry }, params: [model] }) =>
      ({
        ...modelView(await registry.getModel(model)),
        versions: (await registry.listVersions(model)).map(versionSummaryView),
      }) satisfies ModelDetailView,
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/models/${SEGMENT}/runs$`),
    run: async ({ services: { registry }, params: [model] }) => ({ runs: await registry.listRuns(model) }),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/models/${SEGMENT}/runs$`),
    role: { role: 'developer', action: 'starting a training run' },
    run: async ({ services: { startRun }, request, caller }) => {
      if (!startRun) throw new ConflictError('this API has no training pipeline to start');
      return startRun(parseJson(request.body, 'a JSON object like {"reason": "new labels"}'), principalOf(caller));
    },
  },
  {
    // Ground truth for served predictions (docs/model-quality.md). Labels become training data, so sending them is a
    // developer's act, as starting a training run is; a labelling system calls the /iam route with an automation role
    // that holds the developer role.
    method: 'POST',
    pattern: new RegExp(`^/models/${SEGMENT}/labels$`),
    role: { role: 'developer', action: 'sending labels' },
    run: async ({ services: { storeLabels }, params: [model], request }) => {
      if (!storeLabels) throw new ConflictError('this API has no label store (the stack has no model quality monitoring)');
      const body = parseInput(feedbackBodySchema, parseJson(request.body, 'a JSON object like {"labels": [{"predictionId": "...", "label": 1}]}'), 'body');
      return storeLabels(model, body);
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/models/${SEGMENT}/audit/verify$`),
    run: async ({ services: { registry }, params: [model] }) => registry.verifyAudit(model),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/models/${SEGMENT}/versions/${SEGMENT}$`),
    run: async ({ services: { registry }, params: [model, version] }) => {
      const detail = await registry.getVersionDetail(model, version);
      return versionView(detail.version, detail.audit);
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/models/${SEGMENT}/versions$`),
    role: { role: 'developer', action: 'registering a version' },
    run: async ({ services: { registry }, params: [model], request, caller }) => {
      const body = parseJson(request.body, 'a registration like {"artifactUri": "s3://...", "artifactSha256": "...", "metrics": {...}}');
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidInputError('body must be a JSON object (the registration)');
      const named = (body as { model?: unknown }).model;
      if (named !== undefined && named !== model) throw new InvalidInputError(`body.model "${String(named)}" differs from the path's model "${model}"`);
      const { version, created } = await registry.register({ ...(body as RegisterInput), model }, principalOf(caller));
      return { version: versionView(version, []), created };
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/models/${SEGMENT}/versions/${SEGMENT}/approve$`),
    role: { role: 'approver', action: 'approving a version' },
    run: async ({ services: { registry }, params: [model, version], request, caller }) => registry.approve(model, version, decisionOf(caller, request)),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/models/${SEGMENT}/versions/${SEGMENT}/reject$`),
    role: { role: 'approver', action: 'rejecting a version' },
    run: async ({ services: { registry }, params: [model, version], request, caller, require }) => {
      const decision = decisionOf(caller, request);
      // Rejecting the live version rolls it back: that is an operator's call, not only an approver's.
      if ((await registry.getVersion(model, version)).status === 'live') require('operator', 'rejecting the live version (a rollback)');
      return registry.reject(model, version, decision);
    },
  },
  {
    // Starting or stopping a shadow test changes nothing any caller sees: it gathers evidence for the approval. The
    // developer who trained the version or the approver who will judge it may run one (either role suffices).
    method: 'POST',
    pattern: new RegExp(`^/models/${SEGMENT}/versions/${SEGMENT}/shadow$`),
    run: async ({ services: { registry }, params: [model, version], request, caller, require }) => {
      requireShadowRole(caller, require, 'starting a shadow test');
      const body = parseInput(startShadowBodySchema, parseJson(request.body, 'a JSON object like {"comment": "why", "samplePercent": 10}'), 'body');
      const decision: Decision = { actor: displayName(caller), principal: principalOf(caller), reason: body.comment };
      return registry.startShadow(model, version, decision, body.samplePercent ?? DEFAULT_SHADOW_SAMPLE_PERCENT);
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/models/${SEGMENT}/shadow/stop$`),
    run: async ({ services: { registry }, params: [model], request, caller, require }) => {
      requireShadowRole(caller, require, 'stopping a shadow test');
      return registry.stopShadow(model, decisionOf(caller, request));
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/models/${SEGMENT}/rollback$`),
    role: { role: 'operator', action: 'rolling back the live version' },
    run: async ({ services: { registry }, params: [model], request, caller }) => registry.rollbackLive(model, decisionOf(caller, request)),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/models/${SEGMENT}/deployment/abort$`),
    role: { role: 'operator', action: 'aborting a deployment' },
    run: async ({ services: { deployments }, params: [model], request, caller }) => {
      const decision = decisionOf(caller, request);
      if (!deployments) throw new ConflictError(`model "${model}" has no deployment flow here (the EKS tier deploys through its config)`);
      return deployments.abort(model, decision);
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/models/${SEGMENT}/events/replay$`),
    role: { role: 'operator', action: 'replaying registry events' },
    run: async ({ services: { registry, replayEvents }, params: [model], request }) => {
      if (!replayEvents) throw new ConflictError('this API has no event bus to replay to');
      await registry.getModel(model);
      return replayEvents(model, request.body ? parseJson(request.body, 'a JSON object like {"version": 3} or {"since": "2026-12-01T00:00:00Z"}') : {});
    },
  },
];

/**
 * Routes one request to the registry. Every route needs a signed-in caller; writes need the role the access policy
 * names, checked before anything is read or written. Typed errors become 4xx answers that name the problem (a 403
 * names the missing role and the group that grants it).
 */
export async function handleApiRequest(services: ApiServices, request: ApiRequest): Promise<ApiResponse> {
  try {
    const caller = request.caller;
    if (!caller) throw new UnauthorizedError('authentication required: no caller identity in the token claims');
    const require = (role: Role, action: string) => {
      if (caller.roles.includes(role)) return;
      const held = caller.roles.length ? caller.roles.join(', ') : 'no role (read only)';
      throw new ForbiddenError(
        `${action} needs the ${role} role (group "${services.access.groups[role]}"); ${displayName(caller)} has ${held}`,
        role,
      );
    };
    for (const route of ROUTES) {
      const match = route.pattern.exec(request.path);
      if (!match || route.method !== request.method) continue;
      const params = match.slice(1).map(decodeURIComponent);
      if (route.role) require(route.role.role, route.role.action);
      // Every route with parameters starts with the model; a stack's API answers for its own model only.
      if (services.servedModel !== undefined && params.length > 0 && params[0] !== services.servedModel) {
        throw new NotFoundError(`model "${params[0]}" is not served by this stack (it serves "${services.servedModel}")`);
      }
      return json(200, await route.run({ services, params, request, caller, require }));
    }
    throw new NotFoundError(`no route for ${request.method} ${request.path}`);
  } catch (err) {
    if (err instanceof ForbiddenError) return errorJson(403, { error: err.name, message: err.message, missingRole: err.missingRole });
    if (err instanceof RegistryError) return errorJson(err.statusCode, { error: err.name, message: err.message });
    if (err instanceof URIError) return errorJson(400, { error: 'InvalidInputError', message: `malformed path: ${request.path}` });
    throw err;
  }
}

/** Shadow tests need the developer or the approver role; a caller with neither is refused naming the developer's. */
function requireShadowRole(caller: Caller, require: RouteContext['require'], action: string): void {
  if (!caller.roles.includes('approver')) require('developer', `${action}, which the approver role also allows,`);
}

const principalOf = ({ issuer, subject, email }: Caller): Principal => ({ issuer, subject, ...(email && { email }) });

function decisionOf(caller: Caller, request: ApiRequest): Decision {
  const { comment } = parseInput(decisionBodySchema, parseJson(request.body, 'a JSON object like {"comment": "why"}'), 'body');
  return { actor: displayName(caller), principal: principalOf(caller), reason: comment };
}

function parseJson(body: string | undefined, expected: string): unknown {
  try {
    return JSON.parse(body ?? '');
  } catch {
    throw new InvalidInputError(`body must be ${expected}`);
  }
}

const json = (statusCode: number, body: unknown): ApiResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
/** Every error answer has the one shape clients read (contracts/registry-api.ts): the error's code and a message. */
const errorJson = (statusCode: number, body: ApiErrorBody): ApiResponse => json(statusCode, body);
