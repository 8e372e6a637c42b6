import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { InferenceService } from '../../../lambdas/inference/inference-service';
import { createInferenceServer } from '../../../lambdas/inference/server';
import { InferenceMetrics } from '../../../lambdas/inference/telemetry';
import { loadFixture } from './fixtures';

const fixture = loadFixture('mlp-classifier');
let server: Server;
let base: string;

beforeAll(async () => {
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const service = new InferenceService({
    source: { model: 'm', version: 4, load: async () => ({ ...fixture, model: 'm', version: 4, artifactUri: 'fixture', artifactSha256: '' }) },
    metrics: new InferenceMetrics(new Metrics({ namespace: 'MLOps/test' }), 'm', 4),
  });
  server = createInferenceServer(service, { maxBodyBytes: 10_000 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  vi.restoreAllMocks();
});

describe('inference server (EKS container)', () => {
  it('serves POST /invocations', async () => {
    const response = await fetch(`${base}/invocations`, { method: 'POST', body: JSON.stringify({ instances: [fixture.expected.rows[0]] }) });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { predictions: { label: string }[]; modelVersion: number };
    expect(body.modelVersion).toBe(4);
    expect(['legit', 'fraud']).toContain(body.predictions[0].label);
  });

  it('answers readiness on /ping and liveness on /healthz', async () => {
    expect((await fetch(`${base}/ping`)).status).toBe(200);
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'alive' });
  });

  it('refuses an oversized body with 413 while it streams in', async () => {
    const response = await fetch(`${base}/invocations`, { method: 'POST', body: 'x'.repeat(50_000) });
    expect(response.status).toBe(413);
  });

  it('answers a bad request with 400 naming the field', async () => {
    const response = await fetch(`${base}/invocations`, { method: 'POST', body: '{"instances": [[1, 2, "x", 4]]}' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toBe('instances[0][2]: expected a finite number, got "x"');
  });
});
