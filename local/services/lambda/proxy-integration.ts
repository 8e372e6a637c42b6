import { randomUUID } from 'node:crypto';
import type { TwinRequest, TwinResponse } from '../../http/twin-server';
import type { InvocationOutcome } from './worker-pool';

/**
 * The Lambda proxy payload format 2.0 shared by function URLs and HTTP APIs: the request as an event, and the
 * function's result mapped back to an HTTP response (a `statusCode` object, or any other value as a JSON 200).
 */
export function proxyEvent(
  request: TwinRequest,
  rawPath: string,
  context: { apiId: string; routeKey: string; stage: string; accountId: string; pathParameters?: Record<string, string>; authorizer?: unknown },
): Record<string, unknown> {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') cookies.push(...String(value).split(/;\s*/));
    else headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of request.url.searchParams) query[key] = key in query ? `${query[key]},${value}` : value;
  const textual = /json|text|xml|x-www-form-urlencoded/.test(headers['content-type'] ?? 'application/json');
  const now = new Date();
  return {
    version: '2.0',
    routeKey: context.routeKey,
    rawPath,
    rawQueryString: request.url.search.replace(/^\?/, ''),
    ...(cookies.length && { cookies }),
    headers,
    ...(Object.keys(query).length && { queryStringParameters: query }),
    ...(context.pathParameters && Object.keys(context.pathParameters).length && { pathParameters: context.pathParameters }),
    requestContext: {
      accountId: context.accountId,
      apiId: context.apiId,
      domainName: headers.host ?? 'localhost',
      domainPrefix: context.apiId,
      http: {
        method: request.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: context.routeKey,
      stage: context.stage,
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      ...(context.authorizer !== undefined && { authorizer: context.authorizer }),
    },
    ...(request.body.length && {
      body: textual ? request.body.toString('utf8') : request.body.toString('base64'),
    }),
    isBase64Encoded: request.body.length > 0 && !textual,
  };
}

export function proxyResponse(outcome: InvocationOutcome): TwinResponse {
  if (!outcome.ok) {
    return { status: 502, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'Internal Server Error' }) };
  }
  const result = outcome.payload;
  if (result && typeof result === 'object' && 'statusCode' in result) {
    const r = result as { statusCode: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean; cookies?: string[] };
    const headers: Record<string, string> = { 'content-type': 'application/json', ...r.headers };
    if (r.cookies?.length) headers['set-cookie'] = r.cookies.join(', ');
    const body = r.body === undefined ? '' : r.isBase64Encoded ? Buffer.from(r.body, 'base64') : r.body;
    return { status: r.statusCode, headers, body };
  }
  return { status: 200, headers: { 'content-type': 'application/json' }, body: typeof result === 'string' ? result : JSON.stringify(result) };
}
