import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectReadError, DirectReads, type DirectReadsConfig, directReadsConfigFromEnv, s3ObjectLocation } from '../../../lambdas/inference/direct-reads';
import { sha256Hex } from '../../../lambdas/inference/model-store';
import { fixtureArchive } from './fixtures';
import { type ServingBackends, startServingBackends } from './registered-model';

const LAMBDA_ENV = { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token', AWS_REGION: 'eu-west-1' };

describe('directReadsConfigFromEnv', () => {
  it('reads credentials, region and the endpoints as the SDK does', () => {
    expect(directReadsConfigFromEnv({ ...LAMBDA_ENV, ENDPOINT_DNS_SUFFIX: 'amazonaws.com' })).toEqual({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'token' },
      s3Endpoint: { dnsSuffix: 'amazonaws.com' },
      dynamodbEndpoint: new URL('https://dynamodb.eu-west-1.amazonaws.com'),
    });
    const local = directReadsConfigFromEnv({ ...LAMBDA_ENV, AWS_ENDPOINT_URL: 'http://127.0.0.1:4000', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:5000' });
    expect(local?.s3Endpoint).toEqual(new URL('http://127.0.0.1:5000'));
    expect(local?.dynamodbEndpoint).toEqual(new URL('http://127.0.0.1:4000'));
    const china = directReadsConfigFromEnv({ ...LAMBDA_ENV, AWS_REGION: 'cn-north-1', ENDPOINT_DNS_SUFFIX: 'amazonaws.com.cn' });
    expect(china?.dynamodbEndpoint).toEqual(new URL('https://dynamodb.cn-north-1.amazonaws.com.cn'));
  });

  it.each([
    ['no static credentials (an EKS pod with a web identity)', { AWS_REGION: 'eu-west-1', ENDPOINT_DNS_SUFFIX: 'amazonaws.com', AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token' }],
    ['no region', { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret', ENDPOINT_DNS_SUFFIX: 'amazonaws.com' }],
    ['neither endpoints nor a DNS suffix', LAMBDA_ENV],
    ['FIPS endpoints', { ...LAMBDA_ENV, ENDPOINT_DNS_SUFFIX: 'amazonaws.com', AWS_USE_FIPS_ENDPOINT: 'true' }],
    ['dual-stack endpoints', { ...LAMBDA_ENV, ENDPOINT_DNS_SUFFIX: 'amazonaws.com', AWS_USE_DUALSTACK_ENDPOINT: 'true' }],
    ['configured endpoints ignored, and no DNS suffix', { ...LAMBDA_ENV, AWS_ENDPOINT_URL: 'http://127.0.0.1:4000', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }],
  ])('leaves the reads to the SDK with %s', (_what, env) => {
    expect(directReadsConfigFromEnv(env)).toBeUndefined();
  });
});

describe('s3ObjectLocation', () => {
  const aws = { region: 'eu-west-1', s3Endpoint: { dnsSuffix: 'amazonaws.com' } };
  it('addresses a bucket virtual-hosted on AWS and encodes the key per segment', () => {
    const { url, path } = s3ObjectLocation(aws, 'team-artifacts', 'runs/a b+c/model.tar.gz');
    expect(url.href).toBe('https://team-artifacts.s3.eu-west-1.amazonaws.com/');
    expect(path).toBe('/runs/a%20b%2Bc/model.tar.gz');
  });

  it('addresses path-style a bucket whose name is no DNS label, and every bucket on a configured endpoint', () => {
    expect(s3ObjectLocation(aws, 'team.artifacts', 'k')).toEqual({ url: new URL('https://s3.eu-west-1.amazonaws.com'), path: '/team.artifacts/k' });
    expect(s3ObjectLocation({ region: 'eu-west-1', s3Endpoint: new URL('http://127.0.0.1:5000/s3/') }, 'team-artifacts', 'k')).toEqual({
      url: new URL('http://127.0.0.1:5000/s3/'),
      path: '/s3/team-artifacts/k',
    });
  });
});

describe('DirectReads against dynalite and s3rver', () => {
  let backends: ServingBackends;
  let reads: DirectReads;
  beforeAll(async () => {
    backends = await startServingBackends();
    const config = directReadsConfigFromEnv(backends.env);
    if (!config) throw new Error('the serving backends give direct reads their endpoints and credentials');
    reads = new DirectReads(config, backends.dynamo.tableName);
  });
  afterAll(async () => backends.stop());

  it('reads the version record the registry holds and the archive bytes', async () => {
    const archive = fixtureArchive('fraud-gbt');
    const { version, artifactUri } = await backends.register('card-fraud', archive);
    expect(await reads.getVersion('card-fraud', version)).toEqual(await backends.registry.getVersion('card-fraud', version));
    const bytes = await reads.read(artifactUri);
    expect(sha256Hex(bytes)).toBe(sha256Hex(archive));
  });

  it('reads no record for a version the registry does not have', async () => {
    expect(await reads.getVersion('card-fraud', 999)).toBeUndefined();
  });

  it("reports S3's error code for a missing object", async () => {
    const missing = await reads.read(`s3://${backends.s3.bucket}/runs/none/model.tar.gz`).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(DirectReadError);
    expect(missing).toMatchObject({ status: 404, code: 'NoSuchKey' });
    expect((missing as Error).message).toMatch(/^S3 GetObject answered 404 \(NoSuchKey: /);
  });

  it("reports DynamoDB's error code for a table that does not exist", async () => {
    const config = directReadsConfigFromEnv(backends.env);
    if (!config) throw new Error('config expected');
    const error = await new DirectReads(config, 'no-such-table').getVersion('card-fraud', 1).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, code: 'ResourceNotFoundException' });
  });
});

describe('DirectReads retries as the SDK does', () => {
  let server: Server;
  let answer: (request: IncomingMessage, response: ServerResponse, attempt: number) => void;
  let attempts = 0;
  let config: DirectReadsConfig;
  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => answer(request, response, ++attempts));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    config = { region: 'eu-west-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, s3Endpoint: endpoint, dynamodbEndpoint: endpoint, attemptTimeoutMs: 200 };
  });
  afterAll(async () => new Promise((resolve) => server.close(resolve)));

  const run = async (respond: typeof answer, what: 'read' | 'getVersion' = 'read'): Promise<{ value?: unknown; error?: unknown; attempts: number }> => {
    attempts = 0;
    answer = respond;
    const reads = new DirectReads(config, 'registry');
    const result = await (what === 'read' ? reads.read('s3://bucket/key') : reads.getVersion('m', 1)).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    return { ...result, attempts };
  };
  const xmlError = (status: number, code: string) => (_: IncomingMessage, response: ServerResponse) =>
    response.writeHead(status, { 'content-type': 'application/xml' }).end(`<Error><Code>${code}</Code><Message>${code} happened</Message></Error>`);

  it('retries 5xx answers and succeeds within 3 attempts', async () => {
    const result = await run((request, response, attempt) => (attempt < 3 ? xmlError(503, 'SlowDown')(request, response) : response.end('bytes')));
    expect(result).toMatchObject({ value: Buffer.from('bytes'), attempts: 3 });
  });

  it('gives up after 3 attempts with the last error', async () => {
    const result = await run(xmlError(500, 'InternalError'));
    expect(result.attempts).toBe(3);
    expect(result.error).toMatchObject({ status: 500, code: 'InternalError', message: 'S3 GetObject answered 500 (InternalError: InternalError happened)' });
  });

  it('does not retry a client error, but retries throttling', async () => {
    expect((await run(xmlError(403, 'AccessDenied'))).attempts).toBe(1);
    const throttled = await run((_, response, attempt) =>
      attempt === 1
        ? response.writeHead(400).end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'slow down' }))
        : response.end(JSON.stringify({ Item: { status: { S: 'approved' }, pk: { S: 'MODEL#m' } } })),
    'getVersion');
    expect(throttled).toMatchObject({ value: { status: 'approved' }, attempts: 2 });
  });

  it('retries a connection that breaks and an answer that does not come in time', async () => {
    const broken = await run((request, response, attempt) => (attempt === 1 ? request.socket.destroy() : response.end('ok')));
    expect(broken).toMatchObject({ value: Buffer.from('ok'), attempts: 2 });
    const silent = await run(() => undefined);
    expect(silent.attempts).toBe(3);
    expect((silent.error as Error).message).toMatch(/no complete response within 200 ms$/);
  });

  it('refuses a body shorter than its Content-Length', async () => {
    const result = await run((request, response) => {
      response.writeHead(200, { 'content-length': '10' });
      response.write('12345');
      setTimeout(() => request.socket.destroy(), 10);
    });
    expect(result.error).toBeInstanceOf(DirectReadError);
  });
});
