import { nodeCrypto } from './node-builtins';

export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** A request as it will be sent: `path` already URI-encoded (and sent as is), no query string. */
export interface SignableRequest {
  readonly method: string;
  /** `host[:port]`, as the Host header carries it. */
  readonly host: string;
  readonly path: string;
  /** Headers to send and sign, any case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface SigningScope {
  readonly service: string;
  readonly region: string;
  readonly credentials: SigningCredentials;
  /** @default new Date() */
  readonly now?: Date;
}

const { createHash, createHmac } = nodeCrypto;

/** Headers a proxy or the HTTP stack may add, drop or change on the way: sent, never signed (as the SDK's signer). */
const UNSIGNED_HEADERS = new Set(['authorization', 'cache-control', 'connection', 'expect', 'from', 'keep-alive', 'max-forwards', 'pragma', 'referer', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'x-amzn-trace-id']);
const signed = (name: string) => !UNSIGNED_HEADERS.has(name) && !name.startsWith('proxy-') && !name.startsWith('sec-');
const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/**
 * The headers of a request signed with AWS Signature Version 4 (header auth, the whole payload hashed): the request's
 * own headers, lowercased, plus host, x-amz-date, x-amz-content-sha256, x-amz-security-token (with a session token)
 * and authorization. The signature covers every header sent but those a proxy may change (UNSIGNED_HEADERS).
 *
 * Written here rather than taken from the SDK (@smithy/signature-v4): that signer imports the SDK's shared core,
 * whose modules a bundle then loads before the inference function's first prediction (lambdas/inference/direct-reads.ts);
 * this one needs node:crypto only. test/lambdas/shared/sigv4.test.ts checks that it signs as the SDK's signer does
 * (the local stand-ins do not check SigV4 signatures).
 */
export function signRequest(request: SignableRequest, scope: SigningScope): Record<string, string> {
  const { credentials } = scope;
  const amzDate = (scope.now ?? new Date()).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const payloadHash = sha256Hex(request.body ?? '');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  headers.host = request.host;
  headers['x-amz-date'] = amzDate;
  headers['x-amz-content-sha256'] = payloadHash;
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;

  const names = Object.keys(headers).filter(signed).sort();
  const signedHeaders = names.join(';');
  const canonicalHeaders = names.map((name) => `${name}:${headers[name].trim().replace(/\s+/g, ' ')}\n`).join('');
  // S3 signs the path as sent; every other service signs it URI-encoded once more.
  const path = scope.service === 's3' ? request.path : request.path.split('/').map(encodeRfc3986).join('/');
  const canonicalRequest = [request.method, path, '', canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const credentialScope = `${date}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, credentialScope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, date), scope.region), scope.service), 'aws4_request');
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

/** encodeURIComponent plus the characters RFC 3986 reserves that it leaves alone, as SigV4 requires. */
export const encodeRfc3986 = (segment: string) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
