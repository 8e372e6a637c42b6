import { z } from 'zod';
import type { ConsoleConfig } from '../../../contracts/console-config';

/**
 * The console's sign-in, without the browser's side effects: its config, the OAuth 2.0 authorization-code flow with
 * PKCE (RFC 7636, S256) against the configured authorize and token endpoints (Cognito's hosted sign-in, or the twin's),
 * and what the console reads from the ID token. Shared with the unit tests.
 */

export const tokenResponseSchema = z.object({ id_token: z.string().min(1), access_token: z.string().min(1), expires_in: z.number().positive() });

/** What the approval API's `GET /me` answers: the roles the server decided the caller holds. */
export const meSchema = z.object({ issuer: z.string(), subject: z.string(), email: z.string().nullish(), roles: z.array(z.string()) });

/** What a sign-in keeps until the redirect comes back: the verifier (never sent before the token exchange) and state. */
export interface PendingSignIn {
  readonly verifier: string;
  readonly state: string;
  /** The console route to return to (the redirect URI carries no hash). */
  readonly returnTo: string;
}

const base64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

const randomString = (byteCount: number) => base64url(crypto.getRandomValues(new Uint8Array(byteCount)));

/** A fresh verifier (43 characters, 256 random bits) and state. */
export function newPendingSignIn(returnTo: string): PendingSignIn {
  return { verifier: randomString(32), state: randomString(16), returnTo };
}

/** The S256 code challenge of a verifier: base64url(SHA-256(verifier)). */
export async function codeChallenge(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

/** The console's own page, without query, hash or index.html: the redirect URI the app client registered. */
export function redirectUriOf(location: { origin: string; pathname: string }): string {
  return `${location.origin}${location.pathname.replace(/index\.html$/, '')}`;
}

type Auth = NonNullable<ConsoleConfig['auth']>;

export async function authorizeUrl(auth: Auth, pending: PendingSignIn, redirectUri: string, base: string): Promise<string> {
  const url = new URL(auth.authorizeUrl, base);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: auth.clientId,
    redirect_uri: redirectUri,
    scope: auth.scopes.join(' '),
    state: pending.state,
    code_challenge: await codeChallenge(pending.verifier),
    code_challenge_method: 'S256',
  }).toString();
  return url.href;
}

/** The token request's form body (a public client: no secret, the verifier proves it started the sign-in). */
export function tokenRequestBody(auth: Auth, code: string, pending: PendingSignIn, redirectUri: string): URLSearchParams {
  return new URLSearchParams({ grant_type: 'authorization_code', client_id: auth.clientId, code, redirect_uri: redirectUri, code_verifier: pending.verifier });
}

export function logoutUrl(auth: Auth, redirectUri: string, base: string): string {
  const url = new URL(auth.logoutUrl, base);
  url.search = new URLSearchParams({ client_id: auth.clientId, logout_uri: redirectUri }).toString();
  return url.href;
}

/** The claims the console shows (it does not verify the signature: the API does, on every call). */
export function idTokenClaims(token: string): { email?: string; sub?: string; exp?: number } {
  const payload = token.split('.')[1];
  if (!payload) return {};
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(decodeURIComponent(Array.from(json, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''))) as Record<string, unknown>;
    return {
      email: typeof claims.email === 'string' ? claims.email : undefined,
      sub: typeof claims.sub === 'string' ? claims.sub : undefined,
      exp: typeof claims.exp === 'number' ? claims.exp : undefined,
    };
  } catch {
    return {};
  }
}

/** True when the token expires within a minute (or says nothing about when): sign in again rather than fail mid-action. */
export const isExpiring = (token: string, nowMs: number) => {
  const { exp } = idTokenClaims(token);
  return exp === undefined || exp * 1000 - 60_000 <= nowMs;
};
