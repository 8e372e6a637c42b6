import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeRfc3986, signRequest } from '../../../lambdas/shared/sigv4';

/** The SDK signer's hash interface over node:crypto (an HMAC when given a secret). */
class Sha256 {
  private hash;
  constructor(secret?: unknown) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', secret as string | Uint8Array);
  }
  update(data: unknown): void {
    this.hash.update(data as string | Uint8Array);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }
  reset(): void {}
}

// Any name but those the signer sets itself, and often one it sends unsigned (hop-by-hop, proxy-*, sec-*).
const headerName = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/).filter((name) => !['host', 'authorization', 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token'].includes(name)),
  fc.constantFrom('te', 'connection', 'expect', 'user-agent', 'x-amzn-trace-id', 'proxy-authorization', 'sec-fetch-mode', 'content-length', 'content-type'),
);
const headerValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/);
const segment = fc.stringMatching(/^[A-Za-z0-9_~!'()*=+ -]{1,12}$/).filter((s) => s !== '.' && s !== '..');
const request = fc.record({
  service: fc.constantFrom('s3', 'dynamodb', 'firehose'),
  region: fc.constantFrom('eu-west-1', 'us-east-1', 'cn-north-1'),
  method: fc.constantFrom('GET', 'POST', 'PUT'),
  host: fc.constantFrom('127.0.0.1:4569', 'dynamodb.eu-west-1.amazonaws.com', 'bucket.s3.eu-west-1.amazonaws.com'),
  segments: fc.array(segment, { maxLength: 4 }),
  headers: fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
  body: fc.option(fc.string({ maxLength: 200 }), { nil: undefined }),
  sessionToken: fc.option(fc.stringMatching(/^[A-Za-z0-9+/=]{8,40}$/), { nil: undefined }),
  now: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => new Date(Math.floor(d.getTime() / 1000) * 1000)),
});

describe('signRequest', () => {
  it('signs every request exactly as the AWS SDK signer does (@smithy/signature-v4)', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', ...(r.sessionToken ? { sessionToken: r.sessionToken } : {}) };
        // A path as sent: each segment URI-encoded once.
        const path = `/${r.segments.map(encodeRfc3986).join('/')}`;
        const ours = signRequest({ method: r.method, host: r.host, path, headers: r.headers, body: r.body }, { service: r.service, region: r.region, credentials, now: r.now });
        const sdk = new SignatureV4({ service: r.service, region: r.region, credentials, sha256: Sha256, uriEscapePath: r.service !== 's3' });
        const headers: Record<string, string> = { ...r.headers, host: r.host, 'x-amz-content-sha256': ours['x-amz-content-sha256'] };
        const signed = await sdk.sign({ method: r.method, protocol: 'https:', hostname: r.host, path, query: {}, headers, body: r.body }, { signingDate: r.now });
        expect(ours.authorization).toBe(signed.headers.authorization);
        expect(ours['x-amz-date']).toBe(signed.headers['x-amz-date']);
        expect(ours['x-amz-security-token']).toBe(signed.headers['x-amz-security-token']);
      }),
      { numRuns: 300 },
    );
  });

  it('hashes the payload and signs the session token', () => {
    const headers = signRequest(
      { method: 'POST', host: 'dynamodb.eu-west-1.amazonaws.com', path: '/', headers: { 'Content-Type': 'application/x-amz-json-1.0' }, body: '{}' },
      { service: 'dynamodb', region: 'eu-west-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'token' }, now: new Date('2026-12-03T10:00:00Z') },
    );
    expect(headers['x-amz-content-sha256']).toBe(createHash('sha256').update('{}').digest('hex'));
    expect(headers['x-amz-date']).toBe('20261203T100000Z');
    expect(headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKID\/20261203\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
  });
});
