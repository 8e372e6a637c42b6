import { localizeUrls, type SynthesizedApp } from '../../assembly/synthesized-app';

/** A Cognito app client as the hosted sign-in checks requests against it. */
export interface AppClient {
  readonly clientId: string;
  /** `https://cognito-idp.<region>.amazonaws.com/<pool id>`, the `iss` of its tokens. */
  readonly issuer: string;
  /** Redirect URIs the client registered, localized (a CloudFront URL is the twin's own root). */
  readonly callbackUrls: readonly string[];
  readonly logoutUrls: readonly string[];
  readonly flows: readonly string[];
  readonly scopes: readonly string[];
}

/** Every AWS::Cognito::UserPoolClient of the app, read from the templates as they are now (a stack update included). */
export function appClients(app: SynthesizedApp): AppClient[] {
  return app.resourcesOfType('AWS::Cognito::UserPoolClient').map(({ stack, logicalId }) => {
    const props = stack.properties(logicalId);
    const list = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);
    return {
      clientId: stack.ref(logicalId),
      issuer: `https://cognito-idp.${app.env.region}.amazonaws.com/${String(props.UserPoolId)}`,
      callbackUrls: localizeUrls(list(props.CallbackURLs), app.env),
      logoutUrls: localizeUrls(list(props.LogoutURLs), app.env),
      flows: props.AllowedOAuthFlowsUserPoolClient === false ? [] : list(props.AllowedOAuthFlows),
      scopes: list(props.AllowedOAuthScopes),
    };
  });
}
