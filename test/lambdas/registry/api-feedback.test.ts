import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ACCESS_POLICY, type Role } from '../../../contracts/access-policy';
import type { FeedbackBody } from '../../../contracts/ground-truth';
import { handleApiRequest } from '../../../lambdas/registry/api';
import type { ModelRegistry } from '../../../lambdas/registry/registry';
import { listKeys } from '../../../pipelines/common/s3';
import { storeFeedbackLabels } from '../../../lambdas/quality/feedback-labels';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { type LocalS3, startS3rver } from '../../helpers/s3rver';
import { registration, registryOn } from './fixtures';

// The feedback route (POST /models/{model}/labels) with the label store the API function wires (an s3rver bucket).
let dynamo: LocalDynamo;
let s3: LocalS3;
let registry: ModelRegistry;

beforeAll(async () => {
  [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
  registry = registryOn(dynamo);
  await registry.register(registration('card-fraud', 1), 'pipeline:test');
});
afterAll(async () => {
  await Promise.all([dynamo.stop(), s3.stop()]);
});

const storeLabels = (model: string, body: FeedbackBody) => storeFeedbackLabels(s3.client, s3.bucket, model, body);

async function post(body: unknown, roles: Role[] = ['developer'], withStore = true) {
  const caller = { issuer: 'https://issuer.example', subject: 'labeller', roles };
  const response = await handleApiRequest(
    { registry, access: DEFAULT_ACCESS_POLICY, servedModel: 'card-fraud', ...(withStore ? { storeLabels } : {}) },
    { method: 'POST', path: '/models/card-fraud/labels', caller, body: typeof body === 'string' ? body : JSON.stringify(body) },
  );
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

describe('POST /models/{model}/labels', () => {
  it('stores the labels as one JSON lines object under the labels prefix and says where', async () => {
    const labels = [
      { predictionId: 'req-1:0', label: 1 },
      { predictionId: 'req-1:1', label: 0 },
    ];
    const response = await post({ labels });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ model: 'card-fraud', accepted: 2 });
    expect(response.body.objectKey).toMatch(/^labels\/card-fraud\/feedback\/\d{4}-\d\d-\d\d\/.+\.jsonl$/);
    const object = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: response.body.objectKey }));
    const lines = (await object.Body!.transformToString()).trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toEqual(labels);
  });

  it.each([
    ['a missing labels field', { label: 1 }, /^invalid body: .*labels/],
    ['an empty list', { labels: [] }, /^invalid body: labels: expected at least one label/],
    ['a label without its prediction id', { labels: [{ label: 1 }] }, /^invalid body: labels\.0\.predictionId: /],
    ['an empty prediction id', { labels: [{ predictionId: '', label: 1 }] }, /^invalid body: labels\.0\.predictionId: expected a prediction id/],
    ['a label that is neither a string nor a number', { labels: [{ predictionId: 'r:0', label: true }] }, /^invalid body: labels\.0\.label: expected the true class label/],
    ['an unknown field', { labels: [{ predictionId: 'r:0', label: 1, score: 0.3 }] }, /^invalid body: labels\.0: .*score/],
  ])('answers 400 naming the field for %s, and stores nothing', async (_, body, message) => {
    const before = await listKeys(s3.client, s3.bucket, 'labels/');
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(await listKeys(s3.client, s3.bucket, 'labels/')).toEqual(before);
    expect(response.body.error).toBe('InvalidInputError');
    expect(response.body.message).toMatch(message);
  });

  it('answers 400 for a body that is not JSON', async () => {
    expect(await post('labels=1')).toEqual({ status: 400, body: { error: 'InvalidInputError', message: 'body must be a JSON object like {"labels": [{"predictionId": "...", "label": 1}]}' } });
  });

  it('needs the developer role', async () => {
    const response = await post({ labels: [{ predictionId: 'r:0', label: 1 }] }, ['approver']);
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ error: 'ForbiddenError', missingRole: 'developer' });
    expect(response.body.message).toMatch(/^sending labels needs the developer role/);
  });

  it('answers 409 when the stack has no label store', async () => {
    const response = await post({ labels: [{ predictionId: 'r:0', label: 1 }] }, ['developer'], false);
    expect(response).toEqual({ status: 409, body: { error: 'ConflictError', message: 'this API has no label store (the stack has no model quality monitoring)' } });
  });
});
