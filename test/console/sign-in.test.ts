import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConsoleConfig } from '../../contracts/console-config';
import { authorizeUrl, codeChallenge, idTokenClaims, isExpiring, logoutUrl, newPendingSignIn, redirectUriOf, tokenRequestBody } from '../../console/src/lib/sign-in';

const auth = { authorizeUrl: 'https://team.auth.eu-west-1.amazoncognito.com/oauth2/authorize', tokenUrl: '/oauth2/token', logoutUrl: '/logout', clientId: 'client-1', scopes: ['openid', 'email'] };
const token = (claims: Record<string, unknown>) => `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`;

describe('console sign-in (authorization code with PKCE)', () => {
  it('computes the S256 challenge, base64url(SHA-256(verifier)) without padding, as the token endpoint checks it', async () => {
    for (const verifier of ['dBjftJeZ4CVP-mJ0kx83-pRGjLoR6HAb2TNEekA0ZzY', newPendingSignIn('').verifier]) {
      expect(await codeChallenge(verifier)).toBe(createHash('sha256').update(verifier).digest('base64url'));
    }
    expect(await codeChallenge('dBjftJeZ4CVP-mJ0kx83-pRGjLoR6HAb2TNEekA0ZzY')).toBe('prLk6ELcAAoYvIo4Y0-GnBi-us_F9WLbIGdvFzCEo6A');
  });

  it('makes a fresh 43-character verifier and state for each sign-in', () => {
    const [a, b] = [newPendingSignIn('#/models'), newPendingSignIn('#/models')];
    expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.verifier).not.toBe(b.verifier);
    expect(a.state).not.toBe(b.state);
    expect(a.returnTo).toBe('#/models');
  });

  it('asks for a code with the S256 challenge, the registered redirect URI and the scopes', async () => {
    const pending = newPendingSignIn('');
    const url = new URL(await authorizeUrl(auth, pending, 'https://d1.cloudfront.net/', 'https://d1.cloudfront.net/#/models'));
    expect(url.origin + url.pathname).toBe(auth.authorizeUrl);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'client-1',
      redirect_uri: 'https://d1.cloudfront.net/',
      scope: 'openid email',
      state: pending.state,
      code_challenge: createHash('sha256').update(pending.verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
  });

  it('exchanges the code with the verifier and no secret; signs out to its own page; resolves paths on the origin', () => {
    const pending = newPendingSignIn('');
    expect(Object.fromEntries(tokenRequestBody(auth, 'c0de', pending, 'http://127.0.0.1:4750/'))).toEqual({
      grant_type: 'authorization_code',
      client_id: 'client-1',
      code: 'c0de',
      redirect_uri: 'http://127.0.0.1:4750/',
      code_verifier: pending.verifier,
    });
    expect(logoutUrl(auth, 'http://127.0.0.1:4750/', 'http://127.0.0.1:4750/#/models')).toBe('http://127.0.0.1:4750/logout?client_id=client-1&logout_uri=http%3A%2F%2F127.0.0.1%3A4750%2F');
  });

  it('uses the page without index.html, query or hash as the redirect URI', () => {
    expect(redirectUriOf({ origin: 'https://d1.cloudfront.net', pathname: '/index.html' })).toBe('https://d1.cloudfront.net/');
    expect(redirectUriOf({ origin: 'http://127.0.0.1:4750', pathname: '/' })).toBe('http://127.0.0.1:4750/');
  });

  it('reads who is signed in from the ID token, including non-ASCII, and treats a token near expiry as gone', () => {
    const now = Date.now();
    expect(idTokenClaims(token({ email: 'zoë@example.com', sub: 's-1', exp: 2 }))).toEqual({ email: 'zoë@example.com', sub: 's-1', exp: 2 });
    expect(idTokenClaims('not-a-jwt')).toEqual({});
    expect(isExpiring(token({ exp: Math.floor(now / 1000) + 3600 }), now)).toBe(false);
    expect(isExpiring(token({ exp: Math.floor(now / 1000) + 30 }), now)).toBe(true);
    expect(isExpiring(token({}), now)).toBe(true);
  });

  it('reads config.json, naming every bad field', () => {
    expect(parseConsoleConfig({ apiUrl: '/api/', twin: true })).toEqual({ apiUrl: '/api/', twin: true });
    expect(() => parseConsoleConfig({ apiUrl: 'ftp://x', auth: { ...auth, clientId: '' }, twin: 'yes' })).toThrow(
      /config\.json: apiUrl: expected an http\(s\) URL or a path on this origin; auth\.clientId: .*; twin: /,
    );
  });
});
