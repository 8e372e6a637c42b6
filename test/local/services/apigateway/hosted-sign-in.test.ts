import { createHash } from 'node:crypto';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwinServer } from '../../../../local/http/twin-server';
import { HostedSignIn } from '../../../../local/services/apigateway/hosted-sign-in';
import { IdentityProvider } from '../../../../local/services/apigateway/identity-provider';
import { publicClientOptions } from '../../../../lib/private/public-client';
import { readApp, synthesize, TEST_ENV } from '../../support/synth';

const CONSOLE_URL = 'https://d111111abcdef8.cloudfront.net/';
const LOOPBACK = 'http://localhost:8976/callback';
const VERIFIER = 'a'.repeat(20) + 'b'.repeat(23);
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');

describe('HostedSignIn (the twin as the user pool hosted sign-in)', () => {
  const server = new TwinServer();
  let identity: IdentityProvider;
  let consoleClient: string;
  let cliClient: string;
  let twinRoot: string;

  beforeAll(async () => {
    // GIVEN a user pool with the two public clients the platform creates and a group per role
    const outdir = synthesize((stack) => {
      const pool = new cognito.UserPool(stack, 'Pool');
      pool.addClient('Cli', publicClientOptions({ callbackUrls: [LOOPBACK] }));
      pool.addClient('Console', publicClientOptions({ callbackUrls: [CONSOLE_URL], logoutUrls: [CONSOLE_URL] }));
      for (const group of ['approvers', 'operators']) new cognito.CfnUserPoolGroup(stack, group, { userPoolId: pool.userPoolId, groupName: group });
    });
    const url = await server.listen();
    twinRoot = `${url}/`;
    const app = readApp(outdir, { ...TEST_ENV, twinUrl: url });
    identity = await IdentityProvider.create();
    const signIn = new HostedSignIn(() => app, identity);
    server.route(signIn.route());
    consoleClient = signIn.clientWithCallback(twinRoot)!.clientId;
    cliClient = app.resourcesOfType('AWS::Cognito::UserPoolClient').map(({ stack, logicalId }) => stack.ref(logicalId)).find((id) => id !== consoleClient)!;
  });
  afterAll(() => server.close());

  const authorizeFields = (overrides: Record<string, string> = {}) => ({
    response_type: 'code',
    client_id: consoleClient,
    redirect_uri: twinRoot,
    state: 'state-1',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    ...overrides,
  });
  const post = (path: string, fields: Record<string, string>) =>
    fetch(`${server.url}${path}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });
  /** Signs `username` in and returns the code from the redirect. */
  async function codeFor(username: string, overrides: Record<string, string> = {}): Promise<string> {
    const response = await post('/oauth2/authorize', { ...authorizeFields(overrides), username });
    expect(response.status, await response.clone().text()).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.searchParams.get('state')).toBe(overrides.state ?? 'state-1');
    return location.searchParams.get('code')!;
  }
  const exchange = (code: string, overrides: Record<string, string> = {}) =>
    post('/oauth2/token', { grant_type: 'authorization_code', client_id: consoleClient, code, redirect_uri: twinRoot, code_verifier: VERIFIER, ...overrides });

  it('finds the console client by its CloudFront callback, which in the twin is the twin root', () => {
    expect(consoleClient).toBeTruthy();
    expect(consoleClient).not.toBe(cliClient);
  });

  it('shows a sign-in form listing the directory, with every authorize parameter carried', async () => {
    const response = await fetch(`${server.url}/oauth2/authorize?${new URLSearchParams(authorizeFields())}`);
    const page = await response.text();
    expect(response.status).toBe(200);
    expect(page).toContain('<label for="username">Email</label>');
    expect(page).toContain(`name="code_challenge" value="${CHALLENGE}"`);
    expect(page).toMatch(/you@localhost<\/code><\/td><td>approvers, operators/);
    expect(page).toMatch(/viewer@localhost<\/code><\/td><td>none/);
    expect(page).toMatch(/approvers@localhost<\/code><\/td><td>approvers</);
  });

  it('exchanges a code with its PKCE verifier for an ID token carrying the user group claim, once', async () => {
    const code = await codeFor('approvers@localhost');
    const response = await exchange(code);
    const body = (await response.json()) as { id_token: string; access_token: string; expires_in: number; token_type: string };
    expect(response.status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const claims = decodeJwt(body.id_token);
    expect(claims).toMatchObject({ aud: [consoleClient], email: 'approvers@localhost', email_verified: true, token_use: 'id', 'cognito:groups': ['approvers'] });
    expect(claims.iss).toMatch(/^https:\/\/cognito-idp\.eu-west-1\.amazonaws\.com\//);
    await expect(identity.verify(body.id_token, String(claims.iss), [consoleClient])).resolves.toBeTruthy();
    expect(decodeJwt(body.access_token)).toMatchObject({ client_id: consoleClient, token_use: 'access', scope: 'openid email profile' });
    // The same code again is spent
    expect(await (await exchange(code)).json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('leaves the group claim out for a user in no group, as Cognito does', async () => {
    const body = (await (await exchange(await codeFor('viewer@localhost'))).json()) as { id_token: string };
    expect(decodeJwt(body.id_token)['cognito:groups']).toBeUndefined();
  });

  it('refuses a verifier that does not match the challenge, and a redirect_uri other than the one the code was for', async () => {
    expect(await (await exchange(await codeFor('you@localhost'), { code_verifier: 'c'.repeat(43) })).json()).toMatchObject({
      error: 'invalid_grant',
      error_description: 'code_verifier does not match the code_challenge',
    });
    expect(await (await exchange(await codeFor('you@localhost'), { redirect_uri: `${twinRoot}other` })).json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('redirects only to URIs the client registered: the loopback for the CLI, never the console URL', async () => {
    await codeFor('you@localhost', { client_id: cliClient, redirect_uri: LOOPBACK });
    const response = await post('/oauth2/authorize', { ...authorizeFields({ client_id: cliClient }), username: 'you@localhost' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('is not registered for client');
  });

  it('refuses the implicit grant and a missing PKCE challenge', async () => {
    const implicit = await fetch(`${server.url}/oauth2/authorize?${new URLSearchParams(authorizeFields({ response_type: 'token' }))}`);
    expect(implicit.status).toBe(400);
    expect(await implicit.text()).toContain('no implicit grant');
    const fields = authorizeFields();
    delete (fields as Partial<typeof fields>).code_challenge;
    expect((await fetch(`${server.url}/oauth2/authorize?${new URLSearchParams(fields)}`)).status).toBe(400);
  });

  it('shows the form again for a user the directory does not know, without a code', async () => {
    const response = await post('/oauth2/authorize', { ...authorizeFields(), username: 'mallory@example.com' });
    expect(response.status).toBe(401);
    expect(await response.text()).toContain('There is no user &quot;mallory@example.com&quot;');
  });

  it('signs out to a registered sign-out URL only', async () => {
    const ok = await fetch(`${server.url}/logout?${new URLSearchParams({ client_id: consoleClient, logout_uri: twinRoot })}`, { redirect: 'manual' });
    expect(ok.status).toBe(302);
    expect(ok.headers.get('location')).toBe(twinRoot);
    const refused = await fetch(`${server.url}/logout?${new URLSearchParams({ client_id: cliClient, logout_uri: twinRoot })}`, { redirect: 'manual' });
    expect(refused.status).toBe(400);
  });
});
