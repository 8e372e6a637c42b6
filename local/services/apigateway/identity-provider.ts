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

  /**
   * A token for a user, valid for an hour, shaped as Cognito shapes them: an ID token (`aud` the client, `email`,
   * `email_verified`) or an access token (`client_id`, `scope`, no `aud`); both carry `cognito:groups` when the user is
   * in any group (Cognito leaves the claim out otherwise). The subject is the email: the twin's users have no other id.
   */
  async issue(options: { issuer: string; audience: readonly string[]; email: string; scopes: readonly string[]; groups: readonly string[]; tokenUse?: 'id' | 'access' }): Promise<string> {
    const tokenUse = options.tokenUse ?? 'id';
    const jwt = new SignJWT({
      ...(tokenUse === 'id' ? { email: options.email, email_verified: true, 'cognito:username': options.email } : { username: options.email }),
      ...(options.groups.length > 0 && { 'cognito:groups': [...options.groups] }),
      client_id: options.audience[0],
      token_use: tokenUse,
      scope: options.scopes.join(' '),
    })
      .setProtectedHeader({ alg: 'RS256', kid: this.keyId })
      .setSubject(options.email)
      .setIssuer(options.issuer)
      .setIssuedAt()
      .setExpirationTime('1h')
      .setJti(randomUUID());
    if (tokenUse === 'id') jwt.setAudience([...options.audience]);
    return jwt.sign(this.privateKey);
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
