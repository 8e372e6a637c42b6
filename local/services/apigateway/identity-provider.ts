import { randomUUID } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, jwtVerify, SignJWT } from 'jose';

export class TokenRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenRejectedError';
  }
}

/**
 * The twin stands in for the OpenID Connect issuer that the templates' JWT authorizers name (a Cognito user pool,
 * Okta, ...): it signs tokens with its own key for that issuer and audience, and the HTTP API verifies them on every
 * request (signature, issuer, audience or Cognito's client_id, expiry), as API Gateway does with the issuer's JWKS.
 */
export class IdentityProvider {
  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
    private readonly keyId: string,
  ) {}

  static async create(): Promise<IdentityProvider> {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    return new IdentityProvider(privateKey, publicKey, randomUUID());
  }

  /** An ID-token-shaped JWT for a user, valid for an hour. */
  async issue(options: { issuer: string; audience: string[]; email: string; scopes: string[] }): Promise<string> {
    return new SignJWT({
      email: options.email,
      email_verified: true,
      'cognito:username': options.email,
      client_id: options.audience[0],
      token_use: 'id',
      scope: options.scopes.join(' '),
    })
      .setProtectedHeader({ alg: 'RS256', kid: this.keyId })
      .setSubject(options.email)
      .setIssuer(options.issuer)
      .setAudience(options.audience)
      .setIssuedAt()
      .setExpirationTime('1h')
      .setJti(randomUUID())
      .sign(this.privateKey);
  }

  /** The token's claims if it is ours, for this issuer, for one of the audiences (aud or client_id), and unexpired. */
  async verify(token: string, issuer: string, audience: string[]): Promise<JWTPayload> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.publicKey, { issuer, algorithms: ['RS256'] }));
    } catch (err) {
      throw new TokenRejectedError((err as Error).message);
    }
    const audiences = [payload.aud ?? [], payload.client_id ?? []].flat().map(String);
    if (audience.length && !audiences.some((a) => audience.includes(a))) throw new TokenRejectedError('the token is not for this audience');
    return payload;
  }

  /** The public key as a JWKS, as an issuer publishes it. */
  async jwks(): Promise<{ keys: unknown[] }> {
    return { keys: [{ ...(await exportJWK(this.publicKey)), kid: this.keyId, alg: 'RS256', use: 'sig' }] };
  }
}
