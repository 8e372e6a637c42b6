import { execFile, spawn } from 'node:child_process';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceResponse } from '../../../lambdas/inference/inference-service';
import { bundleFunction, REPO_ROOT } from '../../../lib/private/mlops-function';
import { ONNXRUNTIME_MODULE } from '../../../lib/private/onnxruntime-layer';
import { fixtureArchive, loadFixture, modelArchive } from './fixtures';
import { type ServingBackends, startServingBackends } from './registered-model';

type Handler = (event: unknown) => Promise<InferenceResponse>;

// The deployed code: the entry bundled by MlopsFunction's own esbuild build (minified), onnxruntime-node external.
// It sits under node_modules/.cache so that the external resolves, as the layer's copy does in AWS.
const dir = join(REPO_ROOT, 'node_modules', '.cache', 'mlops-test', `inference-bundle-${process.pid}`);
let coldStarts = 0;
let backends: ServingBackends;
const versions: Record<'good' | 'misfit' | 'tampered', string> = { good: '', misfit: '', tampered: '' };
const savedEnv = { ...process.env };

beforeAll(async () => {
  bundleFunction('lambdas/inference/handler.ts', join(dir, 'bundle'), [ONNXRUNTIME_MODULE]);
  backends = await startServingBackends();
  const wine = loadFixture('wine-torch');
  versions.good = String((await backends.register('wine', fixtureArchive('wine-torch'))).version);
  const misfit = modelArchive({ 'model.onnx': wine.onnx, 'metadata.json': JSON.stringify({ ...wine.metadata, labels: [1, 2, 3, 4] }) });
  versions.misfit = String((await backends.register('wine', misfit)).version);
  versions.tampered = String((await backends.register('wine', fixtureArchive('wine-torch'), '0'.repeat(64))).version);
}, 60_000);
afterAll(async () => {
  process.env = { ...savedEnv };
  await backends.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The function's environment serving MODEL_VERSION of the wine model; its logs silent unless asked for. */
const functionEnv = (modelVersion: string, logLevel = 'SILENT') => ({
  ...backends.env,
  MODEL_NAME: 'wine',
  MODEL_VERSION: modelVersion,
  CAPTURE_SAMPLE_PERCENT: '0',
  METRICS_NAMESPACE: 'MLOps/test',
  POWERTOOLS_SERVICE_NAME: 'inference',
  POWERTOOLS_LOG_LEVEL: logLevel,
  POWERTOOLS_METRICS_DISABLED: 'true',
});

/**
 * A fresh copy of the bundle serving MODEL_VERSION, as a new Lambda container loads it: import() waits for its init
 * (the top-level await of the model's load). Node loads it, not the test runner's transform: vitest leaves modules
 * under node_modules to Node.
 */
async function coldStart(modelVersion: string): Promise<Handler> {
  Object.assign(process.env, functionEnv(modelVersion));
  // A copy per cold start: the module loader keeps one instance of a module per path, and a new container starts afresh.
  const copy = join(dir, `container-${++coldStarts}`);
  cpSync(join(dir, 'bundle'), copy, { recursive: true });
  return ((await import(pathToFileURL(join(copy, 'index.mjs')).href)) as { handler: Handler }).handler;
}

const event = (method: string, rawPath: string, body?: string) => ({
  version: '2.0',
  rawPath,
  headers: { 'content-type': 'application/json' },
  requestContext: { requestId: 'bundle-test', timeEpoch: Date.now(), http: { method, path: rawPath } },
  isBase64Encoded: false,
  ...(body === undefined ? {} : { body }),
});

/**
 * The bundle's files a cold start loads before its first prediction: the entry and what it imports, then the chunks it
 * imports on the way (the service's, and the archive reader's that the model load imports) with theirs. Every other
 * `import()` (the SDK's clients for capture and shadow copies, the wording of a malformed event) loads later, if ever.
 */
function coldPathFiles(entry: string): Map<string, string> {
  const loaded = new Map<string, string>();
  const visit = (file: string) => {
    if (loaded.has(file)) return;
    const text = readFileSync(file, 'utf8');
    loaded.set(file, text);
    const dynamic = [...text.matchAll(/import\("(\.[^"]+)"\)/g)].map(([, specifier]) => specifier);
    const imported = [...text.matchAll(/(?:import|from)\s*"(\.[^"]+)"/g)].map(([, specifier]) => specifier);
    for (const specifier of imported) if (!dynamic.includes(specifier)) visit(join(dirname(file), specifier));
    for (const specifier of dynamic) if (/^(service-from-env|model-archive)-/.test(basename(specifier))) visit(join(dirname(file), specifier));
  };
  visit(entry);
  return loaded;
}

const answer = async (response: Promise<InferenceResponse>) => {
  const { statusCode, body } = await response;
  return { statusCode, error: (JSON.parse(body) as { error?: string }).error };
};

describe('the bundled inference handler (minified as deployed)', () => {
  it('serves a multiclass prediction', async () => {
    const wine = loadFixture('wine-torch');
    const response = await (await coldStart(versions.good))(event('POST', '/invocations', JSON.stringify({ instances: [wine.expected.rows[0]] })));
    expect(response.statusCode).toBe(200);
    const [prediction] = (JSON.parse(response.body) as { predictions: { label: number; probabilities: number[] }[] }).predictions;
    expect(prediction.probabilities).toHaveLength(3);
    expect(wine.metadata.labels).toContain(prediction.label);
  });

  it.each([
    ['InvalidRequestError', 400, 'good', event('POST', '/invocations', '{"instances": [["abc"]]}')],
    ['PayloadTooLargeError', 413, 'good', event('POST', '/invocations', 'x'.repeat(6 * 1024 * 1024 + 1))],
    ['RouteNotFoundError', 404, 'good', event('POST', '/', '{"instances": [[1]]}')],
    ['MethodNotAllowedError', 405, 'good', event('GET', '/invocations')],
    ['ModelUnavailableError', 503, '', event('GET', '/ping')],
    ['ModelContractError', 503, 'misfit', event('GET', '/ping')],
    ['ArtifactIntegrityError', 503, 'tampered', event('GET', '/ping')],
    ['InvalidEvent', 400, 'good', { rawPath: '/invocations' }],
  ] as const)('answers %s with %i and that code, not a minified name', async (code, statusCode, version, request) => {
    const handler = await coldStart(version === '' ? '' : versions[version]);
    expect(await answer(handler(request))).toEqual({ statusCode, error: code });
  });

  it('ends an init ahead of traffic with the model loaded: its first request reads neither the registry nor S3', async () => {
    // GIVEN a registry and an S3 of its own, with the wine model registered, and the bundle in a Node process of its
    // own (init's budget counts from the process's start) as an environment of provisioned concurrency
    const own = await startServingBackends();
    const version = String((await own.register('wine', fixtureArchive('wine-torch'))).version);
    const wine = loadFixture('wine-torch');
    const request = event('POST', '/invocations', JSON.stringify({ instances: [wine.expected.rows[0]] }));
    // It says when its init is over, then waits for a line before its first request.
    const script = `import(${JSON.stringify(pathToFileURL(join(dir, 'bundle', 'index.mjs')).href)}).then(({ handler }) => {
      process.stdout.write('initialized\\n');
      process.stdin.once('data', () => handler(${JSON.stringify(request)}).then((r) => { process.stdout.write(JSON.stringify(r) + '\\n'); process.exit(0); }));
    });`;
    const child = spawn(process.execPath, ['--eval', script], {
      env: { ...process.env, ...functionEnv(version), ...own.env, AWS_LAMBDA_INITIALIZATION_TYPE: 'provisioned-concurrency' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    let stopped = false;
    try {
      // WHEN its init has ended, and then the registry and S3 stop answering
      expect((await lines.next()).value).toBe('initialized');
      await own.stop();
      stopped = true;
      child.stdin.write('go\n');
      // THEN its first request is answered by the model loaded during init
      const response = JSON.parse((await lines.next()).value as string) as InferenceResponse;
      expect(response.statusCode).toBe(200);
      expect((JSON.parse(response.body) as { modelVersion: number }).modelVersion).toBe(Number(version));
    } finally {
      child.kill();
      if (!stopped) await own.stop();
    }
  });

  it('logs an error with its stack located in the TypeScript sources, though it loads no source maps', async () => {
    // GIVEN the bundle in a Node process of its own with the function's environment: no NODE_OPTIONS (LambdaInference
    // sets none), so Node maps no stack itself (the test runner's Node would)
    const { NODE_OPTIONS: _, ...env } = process.env;
    const script = `import(${JSON.stringify(pathToFileURL(join(dir, 'bundle', 'index.mjs')).href)}).then(({ handler }) => handler(${JSON.stringify(event('GET', '/ping'))})).then((r) => process.exit(r.statusCode === 503 ? 0 : 1));`;
    // WHEN its model fails the integrity check (logged as "model not loaded")
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--eval', script], {
      env: { ...env, ...functionEnv(versions.tampered, 'ERROR') },
    });
    // THEN the logged error's stack and location name the source files
    const lines = `${stdout}\n${stderr}`.split('\n').filter((line) => line.startsWith('{'));
    const logged = lines.map((line) => JSON.parse(line) as { message: string; error?: { name: string; location: string; stack: string } }).find((line) => line.message === 'model not loaded');
    expect(logged?.error?.name).toBe('ArtifactIntegrityError');
    expect(logged?.error?.stack).toMatch(/\(\/\S+\/lambdas\/inference\/model-store\.ts:\d+:\d+\)/);
    expect(logged?.error?.stack).not.toMatch(/\.mjs:\d+:\d+/);
    expect(logged?.error?.location).toMatch(/\/lambdas\/inference\/model-store\.ts:\d+$/);
  });

  it("loads neither the AWS SDK nor zod's classic build before its first prediction (bench/cold-start.ts measures it)", () => {
    const files = coldPathFiles(join(dir, 'bundle', 'index.mjs'));
    const names = [...files.keys()].map((file) => basename(file));
    expect(names.some((name) => name.startsWith('service-from-env-')) && names.some((name) => name.startsWith('model-archive-'))).toBe(true);
    const carrying = (marker: string) => [...files].filter(([, text]) => text.includes(marker)).map(([file]) => basename(file));
    // zod names each schema class as it defines it: ZodMiniObject in the mini build, ZodObject in the classic one.
    expect(carrying('"ZodMiniObject"')).toHaveLength(1);
    expect(carrying('"ZodObject"')).toEqual([]);
    // Every SDK client sends its user agent header.
    expect(carrying('x-amz-user-agent')).toEqual([]);
  });
});
