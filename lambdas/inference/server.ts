import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { PayloadTooLargeError } from './errors';
import type { InferenceService } from './inference-service';
import { NO_CAPTURE_HEADER, optsOutOfCapture } from '../../contracts/capture-opt-out';
import { optionalEnv } from '../shared/env';
import { DEFAULT_LIMITS } from './request-schema';
import { inferenceServiceFromEnv } from './service-from-env';
import { logger } from './telemetry';

export interface InferenceServerOptions {
  /** Bodies above this are refused with 413 while streaming, before they are buffered whole. @default 6 MiB */
  readonly maxBodyBytes?: number;
  /** How often metrics and capture are flushed in the background. @default 1000 */
  readonly flushIntervalMs?: number;
}

/**
 * The HTTP adapter of the inference service (EKS container, local twin, benchmark): POST /invocations and
 * GET /ping (readiness) from the service, GET /healthz (liveness: the process answers). Metrics and capture are
 * flushed on a timer, off the request path, and once more on close.
 */
export function createInferenceServer(service: InferenceService, options: InferenceServerOptions = {}): Server {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_LIMITS.maxBodyBytes;
  const server = createServer((request, response) => {
    if (request.url === '/healthz') {
      send(response, 200, { 'content-type': 'application/json' }, '{"status":"alive"}');
      return;
    }
    readBody(request, maxBodyBytes).then(
      async (body) => {
        const result = await service.handle({
          method: request.method ?? 'GET',
          path: pathOf(request.url),
          body,
          requestId: headerValue(request.headers['x-request-id']) ?? randomUUID(),
          captureOptOut: optsOutOfCapture(request.headers[NO_CAPTURE_HEADER]),
        });
        send(response, result.statusCode, result.headers, result.body);
      },
      (error: Error) => {
        const tooLarge = error instanceof PayloadTooLargeError;
        response.setHeader('connection', 'close');
        send(response, tooLarge ? 413 : 400, { 'content-type': 'application/json' }, JSON.stringify({ error: error.name, message: error.message }));
      },
    );
  });
  const timer = setInterval(() => void service.flush(), options.flushIntervalMs ?? 1000);
  timer.unref();
  server.on('close', () => {
    clearInterval(timer);
    void service.flush();
  });
  return server;
}

/** Reads the body as UTF-8, refusing (without buffering further) once it exceeds the limit. */
function readBody(request: IncomingMessage, maxBodyBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (declared > maxBodyBytes) {
      request.resume();
      reject(new PayloadTooLargeError(`body: ${declared} bytes exceeds the limit of ${maxBodyBytes} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        request.removeAllListeners('data');
        request.resume();
        reject(new PayloadTooLargeError(`body: more than ${maxBodyBytes} bytes exceeds the limit`));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks, size).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, statusCode: number, headers: Record<string, string>, body: string): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(statusCode, { ...headers, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

function pathOf(url: string | undefined): string {
  const path = url ?? '/';
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}

const headerValue = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** Container entry: PORT (default 8080) plus the service's environment (service-from-env.ts). */
async function main(): Promise<void> {
  const service = inferenceServiceFromEnv();
  void service.warmUp();
  const server = createInferenceServer(service);
  const port = Number(optionalEnv('PORT', '8080'));
  server.listen(port, () => logger.info('inference server listening', { port }));
  const shutdown = () => {
    // Readiness fails as connections drain; pending metrics and capture are flushed on close.
    server.close(() => void service.flush().then(() => process.exit(0)));
    server.closeIdleConnections();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

if (require.main === module) void main();
