import { z } from 'zod';
import type { DeploymentControl } from '../deployment/deployment-control';
import { ConflictError, InvalidInputError, NotFoundError, RegistryError, UnauthorizedError } from './errors';
import { parseInput } from './parse-input';
import type { ModelRegistry } from './registry';
import { decisionBodySchema } from './schemas';
import { modelView, versionSummaryView, versionView } from './views';

/** An approval API request, reduced to what routing needs. `actor` is the authenticated caller, if any. */
export interface ApiRequest {
  method: string;
  path: string;
  body?: string;
  actor?: string;
}

export interface ApiResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** JWT claims that name the caller, most readable first. */
const claimsSchema = z.object({ email: z.string().min(1).optional(), 'cognito:username': z.string().min(1).optional(), sub: z.string().min(1).optional() });

/** The approver's identity comes from the verified token only, never from the request body. */
export function actorFromClaims(claims: unknown): string | undefined {
  const parsed = claimsSchema.safeParse(claims ?? {});
  if (!parsed.success) return undefined;
  return parsed.data.email ?? parsed.data['cognito:username'] ?? parsed.data.sub;
}

/** What the routes act on: the registry, and the deployment flow when the team's inference tier has one. */
export interface ApiServices {
  registry: ModelRegistry;
  deployments?: DeploymentControl;
  /** The one model the stack serves (its MODEL_NAME); any other answers 404. Unset: every model in the registry. */
  servedModel?: string;
}

type Route = { method: string; pattern: RegExp; run: (services: ApiServices, params: string[], request: ApiRequest) => Promise<unknown> };

const SEGMENT = '([^/]+)';
const ROUTES: Route[] = [
  {
    method: 'GET',
    pattern: /^\/models$/,
    run: async ({ registry, servedModel }) => ({
      models: (await registry.listModels()).filter((m) => servedModel === undefined || m.model === servedModel).map(modelView),
    }),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/models/${SEGMENT}$`),
    run: async ({ registry }, [model]) => ({
      ...modelView(await registry.getModel(model)),
      versions: (await registry.listVersions(model)).map(versionSummaryView),
    }),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/models/${SEGMENT}/runs$`),
    run: async ({ registry }, [model]) => ({ runs: await registry.listRuns(model) }),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/models/${SEGMENT}/versions/${SEGMENT}$`),
    run: async ({ registry }, [model, version]) => {
      const detail = await registry.getVersionDetail(model, version);
      return versionView(detail.version, detail.audit);
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/models/${SEGMENT}/versions/${SEGMENT}/(approve|reject)$`),
    run: async ({ registry }, [model, version, action], request) => {
      const { comment } = parseBody(request.body);
      const decision = { actor: request.actor!, reason: comment };
      return action === 'approve' ? registry.approve(model, version, decision) : registry.reject(model, version, decision);
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/models/${SEGMENT}/deployment/abort$`),
    run: async ({ deployments }, [model], request) => {
      const { comment } = parseBody(request.body);
      if (!deployments) throw new ConflictError(`model "${model}" has no deployment flow here (the EKS tier deploys through its config)`);
      return deployments.abort(model, { actor: request.actor!, reason: comment });
    },
  },
];

/** Routes one request to the registry and maps typed errors to 4xx answers that name the problem. */
export async function handleApiRequest(services: ApiServices, request: ApiRequest): Promise<ApiResponse> {
  try {
    if (!request.actor) throw new UnauthorizedError('authentication required: no caller identity in the token claims');
    for (const route of ROUTES) {
      const match = route.pattern.exec(request.path);
      if (match && route.method === request.method) {
        const params = match.slice(1).map(decodeURIComponent);
        // Every route with parameters starts with the model; a stack's API answers for its own model only.
        if (services.servedModel !== undefined && params.length > 0 && params[0] !== services.servedModel) {
          throw new NotFoundError(`model "${params[0]}" is not served by this stack (it serves "${services.servedModel}")`);
        }
        return json(200, await route.run(services, params, request));
      }
    }
    throw new NotFoundError(`no route for ${request.method} ${request.path}`);
  } catch (err) {
    if (err instanceof RegistryError) return json(err.statusCode, { error: err.name, message: err.message });
    if (err instanceof URIError) return json(400, { error: 'InvalidInputError', message: `malformed path: ${request.path}` });
    throw err;
  }
}

function parseBody(body: string | undefined): z.infer<typeof decisionBodySchema> {
  let raw: unknown;
  try {
    raw = JSON.parse(body ?? '');
  } catch {
    throw new InvalidInputError('body must be a JSON object like {"comment": "why"}');
  }
  return parseInput(decisionBodySchema, raw, 'body');
}

const json = (statusCode: number, body: unknown): ApiResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
