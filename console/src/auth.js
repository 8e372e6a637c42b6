// @ts-check
/**
 * Who is signed in: the OAuth 2.0 authorization-code flow with PKCE against the config's hosted sign-in (Cognito in
 * AWS, the twin locally). The ID token lives in sessionStorage (this tab only, gone when it closes); the verifier only
 * until the redirect comes back.
 */
import { authorizeUrl, idTokenClaims, isExpiring, logoutUrl, newPendingSignIn, redirectUriOf, tokenRequestBody, tokenResponseSchema } from './lib/sign-in';

const TOKEN_KEY = 'mlops-console.id-token';
const PENDING_KEY = 'mlops-console.pending-sign-in';

export class Auth {
  /** @param {import('../../contracts/console-config').ConsoleConfig} config */
  constructor(config) {
    this.config = config;
    this.redirectUri = redirectUriOf(location);
  }

  /** Whether this console signs people in at all (the config names a hosted sign-in). */
  get enabled() {
    return this.config.auth !== undefined;
  }

  /** The ID token, unless it is about to expire. */
  get token() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    return token && !isExpiring(token, Date.now()) ? token : undefined;
  }

  /** The signed-in person's email (or subject) as the token names them. */
  get who() {
    const token = this.token;
    if (!token) return undefined;
    const claims = idTokenClaims(token);
    return claims.email ?? claims.sub;
  }

  /** Goes to the hosted sign-in; it comes back to this page with a code. */
  async signIn() {
    const auth = this.config.auth;
    if (!auth) return;
    const pending = newPendingSignIn(location.hash);
    sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
    location.assign(await authorizeUrl(auth, pending, this.redirectUri, location.href));
  }

  /**
   * When the page is the sign-in's redirect (`?code=&state=`), exchanges the code for tokens and clears the query.
   * Returns an error message to show, or undefined. A state that is not the one this tab sent is refused.
   * @returns {Promise<string | undefined>}
   */
  async completeSignIn() {
    const params = new URLSearchParams(location.search);
    const code = params.get('code');
    const error = params.get('error');
    if (!code && !error) return undefined;
    const pendingText = sessionStorage.getItem(PENDING_KEY);
    sessionStorage.removeItem(PENDING_KEY);
    /** @type {import('./lib/sign-in').PendingSignIn | undefined} */
    const pending = pendingText ? JSON.parse(pendingText) : undefined;
    history.replaceState(null, '', `${this.redirectUri}${pending?.returnTo ?? ''}`);
    const auth = this.config.auth;
    if (error) return `Sign-in failed: ${error} ${params.get('error_description') ?? ''}`.trim();
    if (!auth || !code || !pending || params.get('state') !== pending.state) return 'Sign-in failed: the answer does not belong to a sign-in this tab started. Sign in again.';
    const response = await fetch(new URL(auth.tokenUrl, location.href), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: tokenRequestBody(auth, code, pending, this.redirectUri),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) return `Sign-in failed: ${body.error_description ?? body.error ?? response.status}`;
    const tokens = tokenResponseSchema.safeParse(body);
    if (!tokens.success) return 'Sign-in failed: the token endpoint answered without an ID token.';
    sessionStorage.setItem(TOKEN_KEY, tokens.data.id_token);
    return undefined;
  }

  /** Forgets the token here, then ends the hosted sign-in's session too (it comes back to this page). */
  signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    const auth = this.config.auth;
    if (auth) location.assign(logoutUrl(auth, this.redirectUri, location.href));
    else location.reload();
  }

  /** A token the API refused (expired, revoked): forget it, so the console asks to sign in again. */
  forget() {
    sessionStorage.removeItem(TOKEN_KEY);
  }
}
