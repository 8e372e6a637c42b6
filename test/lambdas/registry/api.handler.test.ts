import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ModelRegistry } from '../../../lambdas/registry/registry';
import { type LocalDynamo, lambdaEnvFor, startDynalite } from '../../helpers/dynalite';
import { registration, registryOn } from './fixtures';

let dynamo: LocalDynamo;
let registry: ModelRegistry;
let handler: (event: APIGatewayProxyEventV2WithJWTAuthorizer) => Promise<{ statusCode: number; body: string }>;

beforeAll(async () => {
  dynamo = await startDynalite();
  registry = registryOn(dynamo);
  for (const [name, value] of Object.entries(lambdaEnvFor(dynamo))) vi.stubEnv(name, value);
  ({ handler } = await import('../../../lambdas/registry/api.handler'));
  await registry.register(registration('card-fraud', 1), 'pipeline:test');
  await registry.register(registration('card-fraud', 2), 'pipeline:test');
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await dynamo.stop();
});

/** An HTTP API (payload 2.0) event as API Gateway sends it after the JWT authorizer. */
function request(
  method: string,
  path: string,
  options: { body?: string; claims?: Record<string, string> | null } = {},
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const claims = options.claims === undefined ? { email: 'alice@example.com', sub: 'abc-123' } : options.claims;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    body: options.body,
    isBase64Encoded: false,
    requestContext: {
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      stage: '$default',
      authorizer: claims === null ? undefined : { jwt: { claims, scopes: [] }, principalId: '', integrationLatency: 0 },
    },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}

async function call(method: string, path: string, options?: Parameters<typeof request>[2]) {
  const response = await handler(request(method, path, options));
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

describe('approval API', () => {
  it('lists models and shows one with its versions', async () => {
    const list = await call('GET', '/models');
    expect(list).toMatchObject({ status: 200, body: { models: [{ model: 'card-fraud', latestVersion: 2, liveVersion: null }] } });

    const model = await call('GET', '/models/card-fraud');
    expect(model.body.versions.map((v: { version: number; status: string }) => [v.version, v.status])).toEqual([
      [1, 'pending_approval'],
      [2, 'pending_approval'],
    ]);
  });

  it('shows a version with lineage, metrics and audit trail', async () => {
    const { status, body } = await call('GET', '/models/card-fraud/versions/2');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      version: 2,
      status: 'pending_approval',
      metrics: { holdout: { auc: 0.902 } },
      lineage: { executionName: 'run-2', datasetSha256: expect.stringMatching(/^[0-9a-f]{64}$/), codeVersion: 'abc1234' },
      audit: [{ from: null, to: 'pending_approval', actor: 'pipeline:test' }],
    });
  });

  it('approves with the caller from the token, never from the body', async () => {
    const { status, body } = await call('POST', '/models/card-fraud/versions/1/approve', {
      body: JSON.stringify({ comment: 'metrics fine' }),
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ version: 1, from: 'pending_approval', to: 'approved' });
    const audit = (await registry.getVersionDetail('card-fraud', 1)).audit.at(-1);
    expect(audit).toMatchObject({ actor: 'alice@example.com', reason: 'metrics fine' });

    const spoofed = await call('POST', '/models/card-fraud/versions/2/reject', {
      body: JSON.stringify({ comment: 'x', actor: 'mallory' }),
    });
    expect(spoofed.status).toBe(400);
    expect(spoofed.body.message).toMatch(/Unrecognized key: "actor"/);
  });

  it('falls back to cognito:username, then sub', async () => {
    await registry.register(registration('claims', 1), 'pipeline:test');
    await call('POST', '/models/claims/versions/1/reject', { body: '{"comment":"no"}', claims: { sub: 'user-42' } });
    expect((await registry.getVersionDetail('claims', 1)).audit.at(-1)?.actor).toBe('user-42');
  });

  it.each([
    ['missing auth', 'GET', '/models', { claims: null }, 401, /authentication required/],
    ['unknown model', 'GET', '/models/nope', {}, 404, /model "nope" not found/],
    ['unknown version', 'GET', '/models/card-fraud/versions/99', {}, 404, /has no version 99/],
    ['bad version', 'POST', '/models/card-fraud/versions/x/approve', { body: '{"comment":"a"}' }, 400, /version must be a positive integer, got "x"/],
    ['non-JSON body', 'POST', '/models/card-fraud/versions/2/approve', { body: 'approve!' }, 400, /body must be a JSON object/],
    ['empty comment', 'POST', '/models/card-fraud/versions/2/approve', { body: '{"comment":" "}' }, 400, /comment: comment is required/],
    ['illegal transition', 'POST', '/models/card-fraud/versions/1/reject', { body: '{"comment":"late"}' }, 409, /from approved to rejected/],
    ['unknown route', 'DELETE', '/models/card-fraud', {}, 404, /no route for DELETE/],
  ] as const)('answers %s with %i and writes nothing', async (_name, method, path, options, status, message) => {
    const before = await registry.getVersionDetail('card-fraud', 2);
    const response = await call(method, path, options as Parameters<typeof request>[2]);
    expect(response.status).toBe(status);
    expect(response.body.message).toMatch(message);
    expect(await registry.getVersionDetail('card-fraud', 2)).toEqual(before);
  });

  it('lists pipeline runs', async () => {
    const { body } = await call('GET', '/models/card-fraud/runs');
    expect(body.runs.map((r: { executionName: string }) => r.executionName).sort()).toEqual(['run-1', 'run-2']);
  });
});
