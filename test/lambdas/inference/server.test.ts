import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { InferenceService } from '../../../lambdas/inference/inference-service';
import { createInferenceServer } from '../../../lambdas/inference/server';
import { InferenceMetrics } from '../../../lambdas/inference/telemetry';
import { TrafficCapture } from '../../../lambdas/inference/traffic-capture';
import { NO_CAPTURE_HEADER } from '../../../contracts/capture-opt-out';
import { loadFixture } from './fixtures';

const fixture = loadFixture('mlp-classifier');
const fixtureSource = { model: 'm', version: 4, load: async () => ({ ...fixture, model: 'm', version: 4, artifactUri: 'fixture', artifactSha256: '' }) };
let server: Server;
let base: string;

beforeAll(async () => {
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const service = new InferenceService({
    source: fixtureSource,
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

  it('answers readiness on /ping (GET and HEAD) and liveness on /healthz', async () => {
    expect((await fetch(`${base}/ping`)).status).toBe(200);
    expect((await fetch(`${base}/ping`, { method: 'HEAD' })).status).toBe(200);
    const posted = await fetch(`${base}/ping`, { method: 'POST' });
    expect([posted.status, posted.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'alive' });
  });

  it("ids each prediction <x-request-id>:<row>, or <a random UUID>:<row> without the header", async () => {
    const body = JSON.stringify({ instances: fixture.expected.rows.slice(0, 2) });
    const ids = async (headers: Record<string, string>) =>
      ((await (await fetch(`${base}/invocations`, { method: 'POST', body, headers })).json()) as { predictionIds: string[] }).predictionIds;

    expect(await ids({ 'x-request-id': 'case-4711' })).toEqual(['case-4711:0', 'case-4711:1']);
    const [first, second] = await ids({});
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}:0$/);
    expect(second).toBe(`${first.slice(0, -2)}:1`);
  });

  it('refuses an oversized body with 413 while it streams in', async () => {
    const response = await fetch(`${base}/invocations`, { method: 'POST', body: 'x'.repeat(50_000) });
    expect(response.status).toBe(413);
  });

  it('does not capture a request sent with x-mlops-capture: off, and captures one without it', async () => {
    // GIVEN a server capturing every request into a buffer that is never flushed during the test
    const capture = new TrafficCapture({ put: async () => ({ delivered: 0, failed: 0 }) }, { samplePercent: 100 });
    const service = new InferenceService({ source: fixtureSource, metrics: new InferenceMetrics(new Metrics({ namespace: 'MLOps/test' }), 'm', 4), capture });
    const capturing = createInferenceServer(service, { flushIntervalMs: 3_600_000 });
    await new Promise<void>((resolve) => capturing.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(capturing.address() as AddressInfo).port}/invocations`;
    const body = JSON.stringify({ instances: fixture.expected.rows.slice(0, 2) });
    try {
      // WHEN one request opts out (any case of "off") and one does not
      const optedOut = await fetch(url, { method: 'POST', body, headers: { [NO_CAPTURE_HEADER]: 'OFF' } });
      expect(optedOut.status).toBe(200);
      expect(capture.bufferedLines).toBe(0);
      const captured = await fetch(url, { method: 'POST', body });
      expect(captured.status).toBe(200);
      // THEN only the second one's two rows are buffered for capture
      expect(capture.bufferedLines).toBe(2);
    } finally {
      await new Promise((resolve) => capturing.close(resolve));
    }
  });

  it('answers a bad request with 400 naming the field', async () => {
    const response = await fetch(`${base}/invocations`, { method: 'POST', body: '{"instances": [[1, 2, "x", 4]]}' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toBe('instances[0][2]: expected a finite number, got "x"');
  });
});
