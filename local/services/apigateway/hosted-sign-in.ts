import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { SynthesizedApp } from '../../assembly/synthesized-app';
import { json, type Route, type TwinRequest, type TwinResponse } from '../../http/twin-server';
import { type AppClient, appClients } from './app-clients';
import type { IdentityProvider } from './identity-provider';
import { type DirectoryUser, UserDirectory } from './user-directory';

/** Cognito's authorization codes last five minutes and are good for one exchange. */
const CODE_LIFETIME_MS = 5 * 60_000;
const TOKEN_LIFETIME_SECONDS = 3600;

const authorizeSchema = z.object({
  response_type: z.literal('code', { message: 'only "code" is supported (the authorization-code grant; no implicit grant)' }),
  client_id: z.string().min(1, 'client_id is required'),
  redirect_uri: z.string().min(1, 'redirect_uri is required'),
  state: z.string().optional(),
  scope: z.string().optional(),
  code_challenge: z.string().regex(/^[A-Za-z0-9_-]{43,128}$/, 'code_challenge must be a PKCE S256 challenge (43-128 base64url characters)'),
  code_challenge_method: z.literal('S256', { message: 'code_challenge_method must be S256' }),
});
type AuthorizeRequest = z.infer<typeof authorizeSchema>;

const tokenSchema = z.object({
  grant_type: z.string(),
  client_id: z.string().min(1, 'client_id is required'),
  code: z.string().min(1, 'code is required'),
  redirect_uri: z.string().min(1, 'redirect_uri is required'),
  code_verifier: z.string().regex(/^[A-Za-z0-9._~-]{43,128}$/, 'code_verifier must be 43-128 unreserved characters (RFC 7636)'),
});

const logoutSchema = z.object({ client_id: z.string().min(1, 'client_id is required'), logout_uri: z.string().min(1, 'logout_uri is required') });

interface IssuedCode {
  readonly client: AppClient;
  readonly redirectUri: string;
  readonly challenge: string;
  readonly user: DirectoryUser;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
}

/**
 * Cognito's hosted sign-in, as far as the platform's public clients use it, on the twin's port: `GET /oauth2/authorize`
 * shows a sign-in form for a user of the twin's directory, `POST /oauth2/authorize` sends the browser back to the
 * client's registered redirect URI with a code, `POST /oauth2/token` exchanges the code (authorization_code grant with
 * PKCE S256) for an ID and an access token, and `GET /logout` returns to a registered sign-out URL. Clients, their
 * redirect URIs, flows and scopes are the app's AWS::Cognito::UserPoolClient resources; a request naming anything else
 * is refused, as Cognito refuses it. The twin requires PKCE, which every client of the platform sends; it issues no
 * refresh token (sign in again after an hour).
 */
export class HostedSignIn {
  private readonly codes = new Map<string, IssuedCode>();

  constructor(
    private readonly app: () => SynthesizedApp,
    private readonly identity: IdentityProvider,
  ) {}

  route(): Route {
    return async (request) => {
      const key = `${request.method} ${request.url.pathname}`;
      switch (key) {
        case 'GET /oauth2/authorize':
          return this.signInForm(Object.fromEntries(request.url.searchParams));
        case 'POST /oauth2/authorize':
          return this.signIn(formFields(request));
        case 'POST /oauth2/token':
          return this.token(formFields(request));
        case 'GET /logout':
          return this.logout(Object.fromEntries(request.url.searchParams));
        default:
          return undefined;
      }
    };
  }

  /** The client registered with `callbackUrl` (the console's own page): the one the twin's console signs in with. */
  clientWithCallback(callbackUrl: string): AppClient | undefined {
    return appClients(this.app()).find((client) => client.flows.includes('code') && client.callbackUrls.includes(callbackUrl));
  }

  private signInForm(fields: Record<string, string>, problem?: string): TwinResponse {
    const checked = this.checkAuthorize(fields);
    if ('error' in checked) return checked.error;
    const directory = new UserDirectory(this.app());
    return html(problem ? 401 : 200, signInPage(checked.request, directory, problem, fields.username));
  }

  private signIn(fields: Record<string, string>): TwinResponse {
    const checked = this.checkAuthorize(fields);
    if ('error' in checked) return checked.error;
    const user = new UserDirectory(this.app()).find(fields.username ?? '');
    if (!user) return this.signInForm(fields, `There is no user "${fields.username ?? ''}" in the twin's directory.`);
    const code = randomBytes(24).toString('base64url');
    this.codes.set(code, {
      client: checked.client,
      redirectUri: checked.request.redirect_uri,
      challenge: checked.request.code_challenge,
      user,
      scopes: checked.scopes,
      expiresAt: Date.now() + CODE_LIFETIME_MS,
    });
    const target = new URL(checked.request.redirect_uri);
    target.searchParams.set('code', code);
    if (checked.request.state !== undefined) target.searchParams.set('state', checked.request.state);
    return { status: 302, headers: { location: target.href, 'cache-control': 'no-store' }, body: '' };
  }

  /** The authorize parameters against the client's registration; what Cognito would not redirect for is an error page. */
  private checkAuthorize(fields: Record<string, string>): { error: TwinResponse } | { request: AuthorizeRequest; client: AppClient; scopes: string[] } {
    const parsed = authorizeSchema.safeParse(fields);
    if (!parsed.success) return { error: html(400, errorPage(parsed.error.issues.map((i) => i.message).join('; '))) };
    const request = parsed.data;
    const client = appClients(this.app()).find((c) => c.clientId === request.client_id);
    if (!client) return { error: html(400, errorPage(`client_id "${request.client_id}" is not an app client of this app's user pools`)) };
    if (!client.flows.includes('code')) return { error: html(400, errorPage(`client ${client.clientId} does not allow the authorization-code grant`)) };
    if (!client.callbackUrls.includes(request.redirect_uri)) {
      return { error: html(400, errorPage(`redirect_uri "${request.redirect_uri}" is not registered for client ${client.clientId} (registered: ${client.callbackUrls.join(', ') || 'none'})`)) };
    }
    const scopes = request.scope ? request.scope.split(/\s+/).filter(Boolean) : [...client.scopes];
    const unknown = scopes.filter((scope) => !client.scopes.includes(scope));
    if (unknown.length) return { error: html(400, errorPage(`scope ${unknown.join(', ')} is not allowed for client ${client.clientId}`)) };
    return { request, client, scopes };
  }

  private async token(fields: Record<string, string>): Promise<TwinResponse> {
    if (fields.grant_type !== 'authorization_code') return oauthError('unsupported_grant_type', 'grant_type must be authorization_code');
    const parsed = tokenSchema.safeParse(fields);
    if (!parsed.success) return oauthError('invalid_request', parsed.error.issues.map((i) => i.message).join('; '));
    const request = parsed.data;
    const issued = this.codes.get(request.code);
    // A code is spent by any attempt to use it, as RFC 6749 asks of a code that may have leaked.
    this.codes.delete(request.code);
    if (!issued || issued.expiresAt < Date.now()) return oauthError('invalid_grant', 'the code is unknown, used or expired');
    if (issued.client.clientId !== request.client_id) return oauthError('invalid_grant', 'the code was issued to another client');
    if (issued.redirectUri !== request.redirect_uri) return oauthError('invalid_grant', 'redirect_uri differs from the one the code was issued for');
    if (createHash('sha256').update(request.code_verifier).digest('base64url') !== issued.challenge) {
      return oauthError('invalid_grant', 'code_verifier does not match the code_challenge');
    }
    const common = { issuer: issued.client.issuer, audience: [issued.client.clientId], email: issued.user.email, scopes: issued.scopes, groups: issued.user.groups };
    return json(
      200,
      {
        id_token: await this.identity.issue({ ...common, tokenUse: 'id' }),
        access_token: await this.identity.issue({ ...common, tokenUse: 'access' }),
        token_type: 'Bearer',
        expires_in: TOKEN_LIFETIME_SECONDS,
      },
      { 'cache-control': 'no-store' },
    );
  }

  private logout(fields: Record<string, string>): TwinResponse {
    const parsed = logoutSchema.safeParse(fields);
    if (!parsed.success) return html(400, errorPage(parsed.error.issues.map((i) => i.message).join('; ')));
    const client = appClients(this.app()).find((c) => c.clientId === parsed.data.client_id);
    if (!client) return html(400, errorPage(`client_id "${parsed.data.client_id}" is not an app client of this app's user pools`));
    if (!client.logoutUrls.includes(parsed.data.logout_uri)) {
      return html(400, errorPage(`logout_uri "${parsed.data.logout_uri}" is not a sign-out URL of client ${client.clientId}`));
    }
    return { status: 302, headers: { location: parsed.data.logout_uri, 'cache-control': 'no-store' }, body: '' };
  }
}

/** The fields of an application/x-www-form-urlencoded body (OAuth's encoding for form posts and the token endpoint). */
function formFields(request: TwinRequest): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(request.body.toString('utf8')));
}

const oauthError = (error: string, description: string) => json(400, { error, error_description: description }, { 'cache-control': 'no-store' });

const html = (status: number, body: string): TwinResponse => ({
  status,
  headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-frame-options': 'DENY' },
  body,
});

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const page = (title: string, content: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>` +
  `<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2933}label,input,button{display:block;font:inherit}input{width:100%;padding:.5rem;margin:.25rem 0 1rem;box-sizing:border-box}button{padding:.5rem 1.25rem}table{border-collapse:collapse;margin-top:2rem}td,th{padding:.25rem .75rem;border-bottom:1px solid #ddd;text-align:left}.error{color:#b42318}</style>` +
  `</head><body>${content}</body></html>`;

const errorPage = (message: string) => page('Sign-in error', `<h1>Sign-in error</h1><p class="error" role="alert">${escapeHtml(message)}</p>`);

function signInPage(request: AuthorizeRequest, directory: UserDirectory, problem: string | undefined, username: string | undefined): string {
  const hidden = Object.entries(request)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(String(value))}">`)
    .join('');
  const users = directory.users
    .map((user) => `<tr><td><code>${escapeHtml(user.email)}</code></td><td>${user.groups.length ? escapeHtml(user.groups.join(', ')) : 'none'}</td></tr>`)
    .join('');
  return page(
    'Sign in · local twin',
    `<h1>Sign in</h1><p>The local twin's stand-in for the Cognito hosted sign-in. Sign in as a user of its directory.</p>` +
      (problem ? `<p class="error" role="alert">${escapeHtml(problem)}</p>` : '') +
      `<form method="post" action="/oauth2/authorize">${hidden}<label for="username">Email</label>` +
      `<input id="username" name="username" type="email" autocomplete="username" required value="${escapeHtml(username ?? '')}"><button type="submit">Sign in</button></form>` +
      `<table><caption>Users of the twin's directory</caption><thead><tr><th scope="col">User</th><th scope="col">Groups</th></tr></thead><tbody>${users}</tbody></table>`,
  );
}
