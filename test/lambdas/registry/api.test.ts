import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ACCESS_POLICY } from '../../../contracts/access-policy';
import { handleApiRequest } from '../../../lambdas/registry/api';
import type { ModelRegistry } from '../../../lambdas/registry/registry';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { registration, registryOn } from './fixtures';

let dynamo: LocalDynamo;
let registry: ModelRegistry;

beforeAll(async () => {
  dynamo = await startDynalite();
  registry = registryOn(dynamo);
  await registry.register(registration('card-fraud', 1), 'pipeline:test');
  await registry.register(registration('churn', 1), 'pipeline:test');
});
afterAll(async () => {
  await dynamo.stop();
});

const call = async (servedModel: string | undefined, method: string, path: string, body?: unknown) => {
  const caller = { issuer: 'https://issuer.example', subject: 'alice', email: 'alice@example.com', roles: ['approver' as const, 'operator' as const] };
  const response = await handleApiRequest({ registry, access: DEFAULT_ACCESS_POLICY, servedModel }, { method, path, caller, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.statusCode, body: JSON.parse(response.body) };
};

describe('approval API of a team stack (one served model)', () => {
  it('lists and shows only the model the stack serves', async () => {
    expect((await call('card-fraud', 'GET', '/models')).body.models.map((m: { model: string }) => m.model)).toEqual(['card-fraud']);
    expect((await call('card-fraud', 'GET', '/models/card-fraud')).status).toBe(200);
  });

  it('answers 404 for another model on every route, and writes nothing', async () => {
    for (const [method, path] of [
      ['GET', '/models/churn'],
      ['GET', '/models/churn/runs'],
      ['GET', '/models/churn/versions/1'],
      ['POST', '/models/churn/versions/1/approve'],
      ['POST', '/models/churn/deployment/abort'],
    ]) {
      const response = await call('card-fraud', method, path, method === 'POST' ? { comment: 'not ours' } : undefined);
      expect(response, `${method} ${path}`).toEqual({
        status: 404,
        body: { error: 'NotFoundError', message: 'model "churn" is not served by this stack (it serves "card-fraud")' },
      });
    }
    expect((await registry.getVersion('churn', 1)).status).toBe('pending_approval');
  });

  it('answers for every model of the registry when no model is named (a shared registry)', async () => {
    expect((await call(undefined, 'GET', '/models')).body.models.map((m: { model: string }) => m.model).sort()).toEqual(['card-fraud', 'churn']);
    expect((await call(undefined, 'GET', '/models/churn')).status).toBe(200);
  });
});
