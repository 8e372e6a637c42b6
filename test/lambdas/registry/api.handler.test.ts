import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ModelRegistry } from '../../../lambdas/registry/registry';
import { type LocalDynamo, lambdaEnvFor, startDynalite } from '../../helpers/dynalite';
import { registration, registryOn } from './fixtures';

let dynamo: LocalDynamo;
let registry: ModelRegistry;
let handler: (event: APIGatewayProxyEventV2WithJWTAuthorizer) => Promise<{ statusCode: number; body: string }>;

const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_pool';
/** A team whose groups are not the defaults, and one automation role. */
const ACCESS = {
  groups: { approver: 'fraud-approvers', operator: 'fraud-oncall', developer: 'fraud-ds' },
  rolesClaim: 'cognito:groups',
  allowSelfApproval: false,
  automationRoles: [{ roleArn: 'arn:aws:iam::123456789012:role/ci/release-bot', roles: ['approver'] }],
};
/** Claims as API Gateway hands them over: strings, arrays as "[a b]". */
const person = (sub: string, email: string, groups: string[] = []) => ({
  iss: ISSUER,
  sub,
  email,
  email_verified: 'true',
  ...(groups.length && { 'cognito:groups': `[${groups.join(' ')}]` }),
});
const alice = person('abc-123', 'alice@example.com', ['fraud-approvers', 'fraud-oncall']);
const viewer = person('viewer-1', 'victor@example.com');

beforeAll(async () => {
  dynamo = await startDynalite();
  registry = registryOn(dynamo);
  for (const [name, value] of Object.entries(lambdaEnvFor(dynamo))) vi.stubEnv(name, value);
  vi.stubEnv('ACCESS_POLICY', JSON.stringify(ACCESS));
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
  options: { body?: string; claims?: Record<string, string> | null; iamUserArn?: string } = {},
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const claims = options.claims === undefined ? alice : options.claims;
  const authorizer = options.iamUserArn
    ? { iam: { userArn: options.iamUserArn, accountId: '123456789012' } }
    : claims === null
      ? undefined
      : { jwt: { claims, scopes: [] }, principalId: '', integrationLatency: 0 };
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
      authorizer,
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

  it('records the issuer and subject, and the email only when the issuer verified it', async () => {
    const audit = (await registry.getVersionDetail('card-fraud', 1)).audit.at(-1);
    expect(audit?.principal).toEqual({ issuer: ISSUER, subject: 'abc-123', email: 'alice@example.com' });

    await registry.register(registration('claims', 1), 'pipeline:test');
    const unverified = { ...alice, sub: 'user-42', email: 'ceo@example.com', email_verified: 'false' };
    await call('POST', '/models/claims/versions/1/reject', { body: '{"comment":"no"}', claims: unverified });
    const row = (await registry.getVersionDetail('claims', 1)).audit.at(-1);
    expect(row).toMatchObject({ actor: 'user-42', principal: { issuer: ISSUER, subject: 'user-42' } });
    expect(row?.principal?.email).toBeUndefined();
  });

  it('tells the caller who they are and which roles they hold', async () => {
    expect((await call('GET', '/me')).body).toEqual({ issuer: ISSUER, subject: 'abc-123', email: 'alice@example.com', roles: ['approver', 'operator'] });
    expect((await call('GET', '/me', { claims: viewer })).body.roles).toEqual([]);
  });

  it.each([
    ['approving', 'POST', '/models/card-fraud/versions/2/approve', 'approver', 'fraud-approvers'],
    ['rejecting', 'POST', '/models/card-fraud/versions/2/reject', 'approver', 'fraud-approvers'],
    ['rolling back', 'POST', '/models/card-fraud/rollback', 'operator', 'fraud-oncall'],
    ['aborting', 'POST', '/models/card-fraud/deployment/abort', 'operator', 'fraud-oncall'],
    ['registering', 'POST', '/models/card-fraud/versions', 'developer', 'fraud-ds'],
    ['replaying events', 'POST', '/models/card-fraud/events/replay', 'operator', 'fraud-oncall'],
    ['starting a run', 'POST', '/models/card-fraud/runs', 'developer', 'fraud-ds'],
  ] as const)('refuses %s to a user without the %s role (403 naming it) and writes nothing', async (_what, method, path, role, group) => {
    const before = { model: await registry.getModel('card-fraud'), audit: await registry.verifyAudit('card-fraud') };
    const response = await call(method, path, { body: '{"comment":"let me"}', claims: viewer });
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ error: 'ForbiddenError', missingRole: role });
    expect(response.body.message).toContain(`needs the ${role} role (group "${group}"); victor@example.com has no role`);
    expect({ model: await registry.getModel('card-fraud'), audit: await registry.verifyAudit('card-fraud') }).toEqual(before);
  });

  it('refuses a registrant the approval of their own version, and lets another approver approve it', async () => {
    const dana = person('dana-7', 'dana@example.com', ['fraud-ds', 'fraud-approvers']);
    const registered = await call('POST', '/models/card-fraud/versions', { body: JSON.stringify(registration('card-fraud', 3)), claims: dana });
    expect(registered).toMatchObject({ status: 200, body: { created: true, version: { version: 3, createdBy: 'dana@example.com' } } });

    const own = await call('POST', '/models/card-fraud/versions/3/approve', { body: '{"comment":"mine is great"}', claims: dana });
    expect(own.status).toBe(403);
    expect(own.body).toMatchObject({ error: 'SelfApprovalError', message: expect.stringContaining('dana@example.com registered card-fraud v3 and cannot also approve it') });
    expect((await registry.getVersion('card-fraud', 3)).status).toBe('pending_approval');

    expect((await call('POST', '/models/card-fraud/versions/3/approve', { body: '{"comment":"reviewed"}' })).status).toBe(200);
  });

  it('takes automation roles on the /iam routes from the SigV4 signer, matched without the role path', async () => {
    await registry.register(registration('card-fraud', 4), 'pipeline:test');
    const bot = 'arn:aws:sts::123456789012:assumed-role/release-bot/build-981';
    const approved = await call('POST', '/iam/models/card-fraud/versions/4/approve', { body: '{"comment":"release train"}', iamUserArn: bot });
    expect(approved.status).toBe(200);
    expect((await registry.getVersionDetail('card-fraud', 4)).audit.at(-1)).toMatchObject({
      actor: 'arn:aws:iam::123456789012:role/ci/release-bot',
      principal: { issuer: 'aws-iam', subject: 'arn:aws:iam::123456789012:role/ci/release-bot' },
    });
    const other = 'arn:aws:sts::123456789012:assumed-role/someone-else/x';
    expect((await call('POST', '/iam/models/card-fraud/rollback', { body: '{"comment":"x"}', iamUserArn: other })).status).toBe(403);
    // A JWT on an /iam route, or an IAM identity on a JWT route, is nobody.
    expect((await call('GET', '/iam/models')).status).toBe(401);
    expect((await call('GET', '/models', { claims: null, iamUserArn: bot })).status).toBe(401);
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
    expect(body.runs.map((r: { executionName: string }) => r.executionName).sort()).toEqual(['run-1', 'run-2', 'run-3', 'run-4']);
  });
});
