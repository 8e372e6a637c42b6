import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

// dynalite ships no types; this is the one call we use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: { path?: string; createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

/** How long stopping waits for requests being answered: longer than any one request takes, short enough not to hang a stop. */
const STOP_WAIT_MS = 10_000;

/**
 * dynalite behind a front server of ours. dynalite throws (an uncaught exception, which fails a test run) when a
 * request's body breaks off, and when a database operation fails because its database was closed: it closes the
 * database as soon as its HTTP server has no connection left, but a client that went away mid-request (a Lambda
 * worker killed as the twin stops) leaves its handler running between two operations. So the front server hands
 * dynalite whole bodies only, and closes the database once every request it handed over has been answered.
 */
export class DynaliteServer {
  /** dynalite's own server owns the database; it listens (where nobody connects) only so that closing it closes the database. */
  private readonly database: Server;
  private readonly front: Server;
  private answering = 0;

  constructor(path: string | undefined) {
    this.database = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    const handle = this.database.listeners('request')[0] as RequestListener;
    this.front = createServer((request, response) => this.handOver(request, response, handle));
  }

  /** Starts both servers; resolves to the endpoint clients use. */
  async start(): Promise<string> {
    for (const server of [this.database, this.front]) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.front.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    // No new connections; idle ones close, busy ones once answered.
    await new Promise<void>((resolve) => this.front.close(() => resolve()));
    const deadline = Date.now() + STOP_WAIT_MS;
    while (this.answering > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise<void>((resolve) => this.database.close(() => resolve()));
  }

  private handOver(request: IncomingMessage, response: ServerResponse, handle: RequestListener): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A body that broke off never reaches dynalite: the client is gone, and nothing was written.
    request.on('error', () => undefined);
    request.on('end', () => {
      const whole = Object.assign(Readable.from([Buffer.concat(chunks)]), { headers: request.headers, method: request.method, url: request.url });
      this.answering++;
      const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
      let answered = false;
      // Counted until dynalite ends the response, which it does after its last database operation even when the socket is gone.
      response.end = ((...args: unknown[]) => {
        if (!answered) {
          answered = true;
          this.answering--;
        }
        return end(...args);
      }) as ServerResponse['end'];
      handle.call(this.database, whole as unknown as IncomingMessage, response);
    });
  }
}
