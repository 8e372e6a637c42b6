import { Duration } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';

/** The scopes both public clients ask for: an ID token naming the user and their verified email. */
export const PUBLIC_CLIENT_SCOPES = [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE];

/**
 * Options of a public client of the approval API's user pool (the CLI, the console): the hosted sign-in's
 * authorization-code grant only (the client sends a PKCE S256 challenge; it has no secret to keep), no implicit grant,
 * no password flows of its own, and the redirect URLs it really uses. Users read their email and whether it is
 * verified but cannot change it: the audit trail shows the verified email beside the token's subject.
 */
export function publicClientOptions(urls: { callbackUrls: string[]; logoutUrls?: string[] }): cognito.UserPoolClientOptions {
  return {
    generateSecret: false,
    // Refresh only (CDK adds ALLOW_REFRESH_TOKEN_AUTH): sign-in happens in the hosted UI, which needs no password or
    // SRP flow of the client. Left empty, Cognito would allow SRP and custom auth by default.
    authFlows: { userPassword: false, adminUserPassword: false, userSrp: false, custom: false },
    oAuth: {
      flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
      scopes: PUBLIC_CLIENT_SCOPES,
      callbackUrls: urls.callbackUrls,
      ...(urls.logoutUrls && { logoutUrls: urls.logoutUrls }),
    },
    supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
    readAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true, emailVerified: true, fullname: true }),
    writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ fullname: true }),
    preventUserExistenceErrors: true,
    enableTokenRevocation: true,
    accessTokenValidity: Duration.hours(1),
    idTokenValidity: Duration.hours(1),
    refreshTokenValidity: Duration.hours(12),
  };
}
