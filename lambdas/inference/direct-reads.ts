import type { IncomingHttpHeaders } from 'node:http';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { modelPk, versionSk } from '../../contracts/registry-table-keys';
import { parseS3Uri } from '../../contracts/storage-layout';
import { recordOf } from '../registry/item-record';
import type { VersionRecord } from '../registry/schemas';
import { httpModuleFor } from '../shared/node-builtins';
import { encodeRfc3986, type SigningCredentials, signRequest } from '../shared/sigv4';
import type { ArtifactReader, VersionLookup } from './model-store';

/** What the two reads need, from the environment as the AWS SDK reads it (directReadsConfigFromEnv). */
export interface DirectReadsConfig {
  readonly region: string;
  readonly credentials: SigningCredentials;
  /**
   * The endpoint of each service: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_DYNAMODB, else AWS_ENDPOINT_URL, as the SDK
   * reads them (a set S3 endpoint is addressed path-style, as createS3Client does); else the region's, from
   * ENDPOINT_DNS_SUFFIX (the stack's AWS::URLSuffix, which the LambdaInference construct sets).
   */
  readonly s3Endpoint: URL | { readonly dnsSuffix: string };
  readonly dynamodbEndpoint: URL;
  /** Attempts per read, as the SDK's standard retry mode. @default 3 */
  readonly maxAttempts?: number;
  /** Per attempt, from the request to the whole response. @default 10 s */
  readonly attemptTimeoutMs?: number;
}

/**
 * The configuration of direct reads, or undefined where only the SDK's clients can read: the environment carries no
 * static credentials (an EKS pod's web identity, a profile), no region, or neither endpoints nor ENDPOINT_DNS_SUFFIX,
 * or asks for FIPS or dual-stack endpoints. The Lambda runtime always sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN and AWS_REGION; the LambdaInference construct sets ENDPOINT_DNS_SUFFIX.
 */
export function directReadsConfigFromEnv(env: NodeJS.ProcessEnv = process.env): DirectReadsConfig | undefined {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!accessKeyId || !secretAccessKey || !region) return undefined;
  if (env.AWS_USE_FIPS_ENDPOINT === 'true' || env.AWS_USE_DUALSTACK_ENDPOINT === 'true') return undefined;
  const configured = (name: string) => {
    const value = env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true' ? undefined : env[`AWS_ENDPOINT_URL_${name}`] || env.AWS_ENDPOINT_URL;
    return value ? new URL(value) : undefined;
  };
  const dnsSuffix = env.ENDPOINT_DNS_SUFFIX;
  const s3Endpoint = configured('S3') ?? (dnsSuffix ? { dnsSuffix } : undefined);
  const dynamodbEndpoint = configured('DYNAMODB') ?? (dnsSuffix ? new URL(`https://dynamodb.${region}.${dnsSuffix}`) : undefined);
  if (!s3Endpoint || !dynamodbEndpoint) return undefined;
  return { region, credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) }, s3Endpoint, dynamodbEndpoint };
}

/** A failed read: its HTTP status (undefined when no response came) and the service's error code. */
export class DirectReadError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'DirectReadError';
  }
}

interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Throttling codes DynamoDB answers with a 400, retried as the SDK retries them. */
const THROTTLING_CODES = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'TooManyRequestsException']);
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);
/** Full-jitter exponential backoff from 100 ms, as the SDK's standard retry mode. */
const BACKOFF_BASE_MS = 100;

/**
 * The inference function's two cold-start reads, the registry's version item (DynamoDB GetItem, consistent) and the
 * model archive (S3 GetObject), each one HTTPS request signed with SigV4 (lambdas/shared/sigv4.ts). Why not the SDK's
 * clients: loading them and making their first calls was most of a cold start's CPU time (bench/cold-start.ts), and
 * these two reads need none of their generality. Endpoints, retries and errors follow the SDK: the endpoint variables
 * it reads, virtual-hosted S3 addressing where the bucket name allows, 3 attempts with full-jitter backoff on network
 * errors, throttling and 5xx. Everything else (the container server's web identity, FIPS) keeps the SDK's clients:
 * model-source.ts chooses.
 */
export class DirectReads implements VersionLookup, ArtifactReader {
  constructor(
    private readonly config: DirectReadsConfig,
    private readonly registryTable: string,
  ) {}

  async getVersion(model: string, version: number): Promise<VersionRecord | undefined> {
    const body = JSON.stringify({ TableName: this.registryTable, Key: { pk: { S: modelPk(model) }, sk: { S: versionSk(version) } }, ConsistentRead: true });
    const headers = { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' };
    const response = await this.send('dynamodb', 'POST', this.config.dynamodbEndpoint, '/', headers, body, 'DynamoDB GetItem');
    const { Item } = JSON.parse(response.body.toString('utf8')) as { Item?: Parameters<typeof unmarshall>[0] };
    return Item ? recordOf<VersionRecord>(unmarshall(Item)) : undefined;
  }

  async read(uri: string): Promise<Uint8Array> {
    const { bucket, key } = parseS3Uri(uri);
    const { url, path } = s3ObjectLocation(this.config, bucket, key);
    const response = await this.send('s3', 'GET', url, path, {}, undefined, 'S3 GetObject');
    const length = Number(response.headers['content-length']);
    if (Number.isFinite(length) && length !== response.body.length) {
      throw new DirectReadError(`S3 GetObject of ${uri} ended after ${response.body.length} of ${length} bytes`);
    }
    return response.body;
  }

  private async send(service: 's3' | 'dynamodb', method: string, url: URL, path: string, headers: Record<string, string>, body: string | undefined, operation: string): Promise<Response> {
    const attempts = this.config.maxAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      let failure: DirectReadError;
      try {
        const signed = signRequest(
          { method, host: url.host, path, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) }, body },
          { service, region: this.config.region, credentials: this.config.credentials },
        );
        const response = await this.exchange(url, method, path, signed, body);
        if (response.status >= 200 && response.status < 300) return response;
        failure = serviceError(operation, response);
      } catch (error) {
        if (!(error instanceof DirectReadError)) throw error;
        failure = error;
      }
      if (attempt >= attempts || !retryable(failure)) throw failure;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * BACKOFF_BASE_MS * 2 ** (attempt - 1)));
    }
  }

  private exchange(url: URL, method: string, path: string, headers: Record<string, string>, body: string | undefined): Promise<Response> {
    const { request } = httpModuleFor(url);
    return new Promise((resolve, reject) => {
      const outgoing = request({ method, hostname: url.hostname, port: url.port || undefined, path, headers, timeout: this.config.attemptTimeoutMs ?? 10_000 }, (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks) }));
        incoming.on('error', (error) => reject(new DirectReadError(`${method} ${url.host}${path}: the response broke off: ${error.message}`)));
      });
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no complete response within ${this.config.attemptTimeoutMs ?? 10_000} ms`)));
      outgoing.on('error', (error) => reject(new DirectReadError(`${method} ${url.host}${path}: ${error.message}`)));
      outgoing.end(body);
    });
  }
}

/**
 * Where an object is read: on a configured endpoint, path-style (`<endpoint>/<bucket>/<key>`); on AWS, virtual-hosted
 * (`https://<bucket>.s3.<region>.<suffix>/<key>`), or path-style for a bucket name that cannot be a DNS label (dots,
 * capitals: S3 still serves those path-style). The key is URI-encoded per segment, as S3 signs it.
 */
export function s3ObjectLocation(config: Pick<DirectReadsConfig, 'region' | 's3Endpoint'>, bucket: string, key: string): { url: URL; path: string } {
  const encodedKey = key.split('/').map(encodeRfc3986).join('/');
  const endpoint = config.s3Endpoint;
  if (endpoint instanceof URL) return { url: endpoint, path: `${endpoint.pathname.replace(/\/$/, '')}/${bucket}/${encodedKey}` };
  return /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket)
    ? { url: new URL(`https://${bucket}.s3.${config.region}.${endpoint.dnsSuffix}`), path: `/${encodedKey}` }
    : { url: new URL(`https://s3.${config.region}.${endpoint.dnsSuffix}`), path: `/${bucket}/${encodedKey}` };
}

/** The service's error code and message: S3 answers XML (`<Code>`, `<Message>`), DynamoDB JSON (`__type`, `message`). */
function serviceError(operation: string, response: Response): DirectReadError {
  const text = response.body.toString('utf8');
  let code: string | undefined;
  let message: string | undefined;
  if (text.startsWith('{')) {
    const json = JSON.parse(text) as { __type?: string; message?: string; Message?: string };
    code = json.__type?.split('#').pop();
    message = json.message ?? json.Message;
  } else {
    code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
    message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  }
  const what = [code, message].filter(Boolean).join(': ') || 'no error detail';
  return new DirectReadError(`${operation} answered ${response.status} (${what})`, response.status, code);
}

function retryable(error: DirectReadError): boolean {
  if (error.status === undefined) return true;
  return RETRYABLE_STATUSES.has(error.status) || (error.code !== undefined && THROTTLING_CODES.has(error.code));
}
