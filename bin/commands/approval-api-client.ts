import { homedir } from 'node:os';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { type StackTarget, stackOutput } from './cli-io';

/** The approval API's URL output (CDK suffixes output ids with hashes). */
const API_URL_OUTPUT = 'ApprovalApiUrl';

/** An ID token for the approval API, if the caller exports one (CI jobs, scripts). */
const TOKEN_ENV = 'MLOPS_TOKEN';
/** Where `mlops login` keeps tokens (per API URL); tests point it elsewhere. */
const MLOPS_HOME_ENV = 'MLOPS_HOME';
/** The token cache file: `tokens.json` under MLOPS_HOME, or under ~/.mlops. */
export const tokenCacheFile = () => join(process.env[MLOPS_HOME_ENV] ?? join(homedir(), '.mlops'), 'tokens.json');

/** The token cache: per approval API URL, the ID token, when it expires and whose it is. */
export const tokenCacheSchema = z.record(z.string(), z.object({ idToken: z.string().min(1), expiresAt: z.string(), email: z.string().optional() }));

/** The request reached the API and was refused: the API's own error code and message, and the HTTP status. */
export class ApprovalApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApprovalApiError';
  }
}

/** No signed-in user, or a token the API refused: nothing was changed. */
class NotSignedInError extends Error {
  constructor(reason: string) {
    super(`${reason}: the approval API needs a signed-in user; run \`mlops login\` (or set ${TOKEN_ENV} to an ID token); nothing was changed`);
    this.name = 'NotSignedInError';
  }
}

/**
 * The CLI's one door for writes: every approve, reject, rollback, abort, registration and replay is a request to the
 * stack's approval API with the user's ID token, so the API's role checks, separation of duties and audit apply to the
 * CLI exactly as to the console.
 */
export class ApprovalApiClient {
  constructor(
    /** Base URL, ending with `/`. */
    readonly baseUrl: string,
    private readonly token: () => Promise<string>,
  ) {}

  async get<T>(path: string): Promise<T> {
    return this.send<T>('GET', path);
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('POST', path, body);
  }

  private async send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const token = await this.token();
    let response: Response;
    try {
      response = await fetch(new URL(path.replace(/^\//, ''), this.baseUrl), {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new Error(`cannot reach the approval API at ${this.baseUrl}: ${(err as Error).message}`, { cause: err });
    }
    const text = await response.text();
    let parsed: { error?: string; message?: string } & Record<string, unknown>;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { message: text.slice(0, 200) };
    }
    if (response.status === 401) throw new NotSignedInError(`the approval API did not accept the token (${parsed.message ?? 'Unauthorized'})`);
    if (!response.ok) throw new ApprovalApiError(response.status, parsed.error ?? `HTTP ${response.status}`, parsed.message ?? response.statusText);
    return parsed as T;
  }
}

/** The approval API's base URL: the stack output (which the twin points at its own server, `<twin>/api/<api id>/`). */
export function approvalApiUrl(target: StackTarget): string {
  const url = stackOutput(target, API_URL_OUTPUT);
  return url.endsWith('/') ? url : `${url}/`;
}

/** A client for the target's approval API with the caller's token: MLOPS_TOKEN, else the one `mlops login` cached. */
export function approvalApiFor(target: StackTarget): ApprovalApiClient {
  const baseUrl = approvalApiUrl(target);
  return new ApprovalApiClient(baseUrl, () => signedInToken(baseUrl));
}

async function signedInToken(baseUrl: string): Promise<string> {
  const exported = process.env[TOKEN_ENV];
  if (exported) return exported;
  let cache: z.infer<typeof tokenCacheSchema>;
  try {
    cache = tokenCacheSchema.parse(JSON.parse(await readFile(tokenCacheFile(), 'utf8')));
  } catch {
    throw new NotSignedInError('not signed in');
  }
  const entry = cache[baseUrl];
  if (!entry) throw new NotSignedInError(`not signed in to ${baseUrl}`);
  if (Date.parse(entry.expiresAt) <= Date.now()) throw new NotSignedInError(`the sign-in of ${entry.email ?? 'this user'} expired at ${entry.expiresAt}`);
  return entry.idToken;
}
