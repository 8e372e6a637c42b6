import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { dirname } from 'node:path';
import { decodeJwt } from 'jose';
import { z } from 'zod';
import { CLI_CALLBACK_URL } from '../../lib/approval-api';
import { approvalApiFor, approvalApiUrl, tokenCacheFile, tokenCacheSchema } from './approval-api-client';
import { type CliIo, resolveTarget, type StackTarget, stackOutput, UsageError } from './cli-io';
import { reportError } from './command-group';
import { parse } from './models';

/** Help text of `mlops login`. */
const LOGIN_USAGE = `usage: mlops login [--user EMAIL] [options]
  Signs in to the stack's approval API with the authorization-code flow and PKCE: open the printed URL, sign in
  (with MFA) on the stack's hosted sign-in page, and the browser comes back to http://localhost:8976/callback. The ID
  token is kept in ~/.mlops/tokens.json (MLOPS_HOME) for an hour; every write of the CLI sends it.
  --user EMAIL   on the local twin only: sign in as this user of the twin's directory without a browser
usage: mlops logout [options]      forget the token of the stack's approval API
options: --outputs cdk-outputs.json --region <region> [--stack <name>]  a deployed stack (default: the local twin)
         --twin <file>  the twin's state file (default .local/twin.json)`;

/** How long to wait for the browser to come back. */
const SIGN_IN_TIMEOUT_MS = 5 * 60_000;
const SCOPES = 'openid email profile';

const tokenResponseSchema = z.object({ id_token: z.string().min(1), expires_in: z.number().positive() });

/** `mlops login` and `mlops logout`: returns the exit code (0 ok, 1 failed, 2 bad usage). */
export async function run(args: string[], io: CliIo, command: 'login' | 'logout' = 'login'): Promise<number> {
  try {
    if (args[0] === 'help' || args[0] === '--help') {
      io.stdout(LOGIN_USAGE);
      return 0;
    }
    return command === 'login' ? await login(args, io) : await logout(args, io);
  } catch (err) {
    return reportError(err, io);
  }
}

async function login(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { user: { type: 'string' } }, 0);
  const target = resolveTarget(values, 'ApprovalApiUrl');
  if (values.user !== undefined && target.kind !== 'twin') {
    throw new UsageError('--user applies to the local twin only (its sign-in has no password); in AWS, sign in in the browser');
  }
  const clientId = stackOutput(target, 'UserPoolClientId');
  const signInBase = (target.kind === 'twin' ? target.twinUrl! : stackOutput(target, 'SignInUrl')).replace(/\/$/, '');
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const authorize = new URL(`${signInBase}/oauth2/authorize`);
  for (const [name, value] of Object.entries({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: CLI_CALLBACK_URL,
    scope: SCOPES,
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  })) {
    authorize.searchParams.set(name, value);
  }

  let code: string;
  if (values.user !== undefined) {
    code = await signInOnTwin(authorize, values.user, state);
  } else {
    const callback = await awaitCallback(state);
    try {
      io.stderr(`open this URL in a browser to sign in (waiting up to ${SIGN_IN_TIMEOUT_MS / 60_000} minutes):\n${authorize.href}`);
      code = await callback.code;
    } finally {
      callback.close();
    }
  }

  const response = await fetch(`${signInBase}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, code, redirect_uri: CLI_CALLBACK_URL, code_verifier: verifier }),
  });
  const body: unknown = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`the token endpoint refused the sign-in: ${JSON.stringify(body)}`);
  const tokens = tokenResponseSchema.parse(body);
  const email = String(decodeJwt(tokens.id_token).email ?? '') || undefined;
  await saveToken(approvalApiUrl(target), { idToken: tokens.id_token, expiresAt: new Date(Date.now() + tokens.expires_in * 1000).toISOString(), email });

  const me = await approvalApiFor(target).get<{ email: string | null; subject: string; roles: string[] }>('me');
  io.stdout(`signed in to ${target.stackName} as ${me.email ?? me.subject}; roles: ${me.roles.length ? me.roles.join(', ') : 'none (read only)'}`);
  return 0;
}

async function logout(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {}, 0);
  const target: StackTarget = resolveTarget(values, 'ApprovalApiUrl');
  const removed = await saveToken(approvalApiUrl(target), undefined);
  io.stdout(removed ? `signed out of ${target.stackName}` : `not signed in to ${target.stackName}`);
  return 0;
}

/** Writes (or with undefined, removes) the token of one API; the file is readable by its owner only. */
async function saveToken(apiUrl: string, entry: z.infer<typeof tokenCacheSchema>[string] | undefined): Promise<boolean> {
  const file = tokenCacheFile();
  let cache: z.infer<typeof tokenCacheSchema> = {};
  try {
    cache = tokenCacheSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    // No cache yet, or an unreadable one: start afresh.
  }
  const existed = apiUrl in cache;
  if (entry) cache[apiUrl] = entry;
  else delete cache[apiUrl];
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(cache, null, 2)}\n`, { mode: 0o600 });
  return existed;
}

/** The loopback listener the sign-in page redirects to; resolves with the code once the state matches. */
async function awaitCallback(state: string): Promise<{ code: Promise<string>; close: () => void }> {
  const url = new URL(CLI_CALLBACK_URL);
  let settle!: { resolve: (code: string) => void; reject: (err: Error) => void };
  const code = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  const server: Server = createServer((request, response) => {
    const received = new URL(request.url ?? '/', CLI_CALLBACK_URL);
    const query = received.searchParams;
    if (received.pathname !== url.pathname) {
      response.writeHead(404).end();
      return;
    }
    const problem = query.get('error') ? `the sign-in page answered ${query.get('error')}: ${query.get('error_description') ?? ''}` : query.get('state') !== state ? 'the state does not match this sign-in' : !query.get('code') ? 'no code' : undefined;
    response.writeHead(problem ? 400 : 200, { 'content-type': 'text/plain; charset=utf-8' }).end(problem ? `Sign-in failed: ${problem}` : 'Signed in; you can close this tab and return to the terminal.');
    if (problem) settle.reject(new Error(`sign-in failed: ${problem}`));
    else settle.resolve(query.get('code')!);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${url.port} is busy: another mlops login is waiting; finish or stop it first`) : err),
    );
    server.listen(Number(url.port), '127.0.0.1', resolve);
  });
  const timer = setTimeout(() => settle.reject(new Error(`no sign-in within ${SIGN_IN_TIMEOUT_MS / 60_000} minutes`)), SIGN_IN_TIMEOUT_MS);
  return {
    code,
    close: () => {
      clearTimeout(timer);
      server.close();
    },
  };
}

/**
 * The twin's sign-in form takes a user of its directory and no password: the CLI posts it as the browser would and
 * reads the code from the redirect to the loopback URL (no listener needed, so parallel sign-ins do not compete for the
 * port).
 */
async function signInOnTwin(authorize: URL, user: string, state: string): Promise<string> {
  const form = new URLSearchParams(authorize.searchParams);
  form.set('username', user);
  const response = await fetch(authorize.origin + authorize.pathname, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
    redirect: 'manual',
  });
  const location = response.headers.get('location');
  if (response.status !== 302 || !location) {
    const text = await response.text();
    const alert = /role="alert">([^<]*)</.exec(text)?.[1];
    throw new UsageError(`the twin's sign-in refused ${user}: ${alert ?? `HTTP ${response.status}`}`);
  }
  const redirect = new URL(location);
  const code = redirect.searchParams.get('code');
  if (redirect.origin + redirect.pathname !== CLI_CALLBACK_URL || redirect.searchParams.get('state') !== state || !code) {
    throw new Error(`the twin's sign-in redirected to ${location}, not back to ${CLI_CALLBACK_URL} with this sign-in's state and a code`);
  }
  return code;
}
