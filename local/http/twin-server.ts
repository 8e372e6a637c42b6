import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

/** A request as the twin's handlers see it: the body read in full. */
export interface TwinRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  readonly sourceIp: string;
}

export interface TwinResponse {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
}

/** Handles the requests under a path prefix, or returns undefined to let the next route try. */
export type Route = (request: TwinRequest) => Promise<TwinResponse | undefined>;

/** An error of an AWS JSON protocol (1.0/1.1) operation, sent as `{ __type, message }`. */
export class AwsServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

export type JsonOperation = (input: Record<string, unknown>) => Promise<unknown>;

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): TwinResponse => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * The twin's one HTTP server: AWS JSON-protocol services dispatched by their X-Amz-Target prefix
 * (`AWSStepFunctions.StartExecution`, `AWSEvents.PutEvents`, ...), path routes (Lambda's REST API, HTTP APIs,
 * function URLs, the console's /twin/* endpoints), and the console's static files at `/`.
 */
export class TwinServer {
  private readonly targets = new Map<string, Map<string, JsonOperation>>();
  private readonly routes: Route[] = [];
  private server?: Server;
  url = '';

  constructor(private readonly staticDirectory?: string) {}

  /** Serves `<targetPrefix>.<Operation>` requests (e.g. prefix `AWSStepFunctions`). */
  jsonService(targetPrefix: string, operations: Record<string, JsonOperation>): void {
    this.targets.set(targetPrefix, new Map(Object.entries(operations)));
  }

  route(route: Route): void {
    this.routes.push(route);
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    // Longer than any client's own idle timeout (undici's fetch drops an idle socket after 4 s, AWS's endpoints keep
    // one a minute): the client always closes first. A server that closed at 5 s raced a fetch reusing the socket just
    // then, which failed with "fetch failed" (other side closed) when a busy machine delayed the client's timer.
    this.server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, resolve);
    });
    this.url = `http://${host}:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const request: TwinRequest = {
        method: req.method ?? 'GET',
        url: new URL(req.url ?? '/', 'http://twin.local'),
        headers: req.headers,
        body: Buffer.concat(chunks),
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      };
      const response = (await this.dispatch(request)) ?? json(404, { message: `no twin resource at ${request.method} ${request.url.pathname}` });
      res.writeHead(response.status, response.headers);
      res.end(response.body);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `twin error: ${(err as Error).message}` }));
    }
  }

  private async dispatch(request: TwinRequest): Promise<TwinResponse | undefined> {
    const target = request.headers['x-amz-target'];
    if (typeof target === 'string') return this.jsonOperation(target, request);
    for (const route of this.routes) {
      const response = await route(request);
      if (response) return response;
    }
    return this.staticFile(request);
  }

  private async jsonOperation(target: string, request: TwinRequest): Promise<TwinResponse> {
    const dot = target.lastIndexOf('.');
    const operation = this.targets.get(target.slice(0, dot))?.get(target.slice(dot + 1));
    const contentType = String(request.headers['content-type'] ?? 'application/x-amz-json-1.1');
    const respond = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      ({ status, headers: { 'content-type': contentType, ...headers }, body: JSON.stringify(body) }) satisfies TwinResponse;
    if (!operation) {
      return respond(400, { __type: 'UnknownOperationException', message: `the twin does not emulate ${target}` });
    }
    try {
      const input = request.body.length ? (JSON.parse(request.body.toString('utf8')) as Record<string, unknown>) : {};
      return respond(200, (await operation(input)) ?? {});
    } catch (err) {
      if (err instanceof AwsServiceError) {
        return respond(err.status, { __type: err.code, message: err.message }, { 'x-amzn-errortype': err.code });
      }
      if (err instanceof SyntaxError) return respond(400, { __type: 'SerializationException', message: err.message });
      return respond(500, { __type: 'InternalFailure', message: (err as Error).message });
    }
  }

  private staticFile(request: TwinRequest): TwinResponse | undefined {
    if (!this.staticDirectory || request.method !== 'GET' || !existsSync(this.staticDirectory)) return undefined;
    let file = normalize(join(this.staticDirectory, decodeURIComponent(request.url.pathname)));
    if (!file.startsWith(this.staticDirectory)) return undefined;
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) return undefined;
    return { status: 200, headers: { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' }, body: readFileSync(file) };
  }
}
