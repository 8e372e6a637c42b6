import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as audit } from '../../bin/commands/audit';
import { run as events } from '../../bin/commands/events';
import { run as runs } from '../../bin/commands/runs';
import { run as login } from '../../bin/commands/login';
import { run } from '../../bin/commands/models';
import { DEFAULT_ACCESS_POLICY } from '../../contracts/access-policy';
import { auditPk } from '../../contracts/registry-table-keys';
import type { ModelRegistry } from '../../lambdas/registry/registry';
import { type ApprovalTwin, startApprovalTwin } from '../helpers/approval-twin';
import { sha } from '../lambdas/registry/fixtures';

/**
 * The CLI against the registry's doors in the twin (the real approval API construct and function, serving card-fraud
 * as a team stack's does): reads from the registry table, every write through the approval API (JWT authorizer, the
 * function's role checks) with the token `mlops login` got from the twin's hosted sign-in.
 */
let doors: ApprovalTwin;
let scratch: string;
let twinFile: string;
let registry: ModelRegistry;
let documents: ApprovalTwin['documents'];
let table: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'mlops-cli-'));
  vi.stubEnv('MLOPS_HOME', join(scratch, 'home'));
  vi.stubEnv('MLOPS_TOKEN', '');
  // With an automation role, so the API has its /iam/* routes too.
  const access = { ...DEFAULT_ACCESS_POLICY, automationRoles: [{ roleArn: 'arn:aws:iam::000000000000:role/release-bot', roles: ['approver' as const] }] };
  doors = await startApprovalTwin({ modelName: 'card-fraud', access });
  ({ stateFile: twinFile, registry, documents, tableName: table } = doors);
}, 300_000);
afterAll(async () => {
  vi.unstubAllEnvs();
  await doors?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const capture = async (command: (args: string[], io: { stdout: (s: string) => void; stderr: (s: string) => void }) => Promise<number>, args: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await command([...args, '--twin', twinFile], { stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
};
/** Runs `mlops models <args>` against the twin's state file; returns exit code and output. */
const mlops = (...args: string[]) => capture(run, args);
const signIn = async (user: string) => {
  const result = await capture(login, ['--user', user]);
  if (result.code !== 0 && user !== 'nobody@localhost') throw new Error(`mlops login --user ${user}: ${result.stderr}`);
  return result;
};

const artifact = (n: number) => ['--artifact', `s3://artifacts/byo/model-${n}.tar.gz`, '--sha256', sha(n)];
const auditTrail = async (version: number) => (await registry.getVersionDetail('card-fraud', version)).audit;

describe('mlops models on the twin, every write through the approval API', () => {
  it('refuses a write without a sign-in, and writes nothing', async () => {
    const result = await mlops('register', 'card-fraud', ...artifact(1));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('mlops: not signed in: the approval API needs a signed-in user; run `mlops login` (or set MLOPS_TOKEN to an ID token); nothing was changed');
    await expect(registry.getModel('card-fraud')).rejects.toThrow(/not found/);
  });

  it('signs in through the hosted sign-in with PKCE and says which roles the API gives', async () => {
    expect(await signIn('viewer@localhost')).toMatchObject({ code: 0, stdout: 'signed in to Mlops-registry as viewer@localhost; roles: none (read only)' });
    expect(await signIn('nobody@localhost')).toMatchObject({ code: 2, stderr: `mlops: the twin's sign-in refused nobody@localhost: There is no user &quot;nobody@localhost&quot; in the twin&#39;s directory.` });
  });

  it('refuses a register to a user without the developer role (403 naming it), and writes nothing', async () => {
    await signIn('viewer@localhost');
    const result = await mlops('register', 'card-fraud', ...artifact(1));
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'mlops: refused by the approval API (403 ForbiddenError): registering a version needs the developer role (group "developers"); viewer@localhost has no role (read only)',
    });
    await expect(registry.getModel('card-fraud')).rejects.toThrow(/not found/);
  });

  it('registers as the signed-in developer, and lists and shows versions as tables', async () => {
    await signIn('you@localhost');
    const registered = await mlops('register', 'card-fraud', ...artifact(1), '--metrics', '{"holdout":{"auc":0.91}}', '--primary-metric', 'auc');
    expect(registered).toEqual({ code: 0, stdout: 'registered card-fraud v1 (pending_approval)', stderr: '' });
    await mlops('register', 'card-fraud', ...artifact(2));
    const v1 = await registry.getVersion('card-fraud', 1);
    expect(v1).toMatchObject({ createdBy: 'you@localhost', createdByPrincipal: { subject: 'you@localhost', email: 'you@localhost', issuer: expect.stringMatching(/^https:\/\/cognito-idp\./) } });

    const list = await mlops('list');
    expect(list.stdout.split('\n')[0]).toMatch(/^MODEL\s+LATEST\s+LIVE\s+PREVIOUS LIVE\s+DEPLOYING\s+UPDATED$/);
    expect(list.stdout.split('\n')[1]).toMatch(/^card-fraud\s+2\s+-\s+-\s+-\s+\d{4}-/);
    expect((await mlops('show', 'card-fraud')).stdout).toMatch(/1\s+pending_approval\s+auc\s+0\.91\s+\S+\s+you@localhost/);
    const version = await mlops('show', 'card-fraud', '1');
    expect(version.stdout).toMatch(/artifact sha256\s+0{63}1/);
    expect(version.stdout).toMatch(/Z {2}-\s+pending_approval\s+you@localhost\s+registered/);
    const json = await mlops('show', 'card-fraud', '1', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ model: 'card-fraud', version: 1, artifact: { sha256: sha(1) }, audit: [{ to: 'pending_approval' }] });
  });

  it('refuses the registrant the approval of their own version; another approver approves it, recorded as the caller', async () => {
    const own = await mlops('approve', 'card-fraud', '1', '--comment', 'mine');
    expect(own.code).toBe(1);
    expect(own.stderr).toMatch(/^mlops: refused by the approval API \(403 SelfApprovalError\): you@localhost registered card-fraud v1 and cannot also approve it/);
    expect((await registry.getVersion('card-fraud', 1)).status).toBe('pending_approval');

    await signIn('approvers@localhost');
    expect(await mlops('approve', 'card-fraud', '1', '--comment', 'good lift')).toMatchObject({ code: 0, stdout: 'card-fraud v1: pending_approval -> approved' });
    const row = (await auditTrail(1)).find((a) => a.to === 'approved');
    expect(row).toMatchObject({ actor: 'approvers@localhost', reason: 'good lift', principal: { subject: 'approvers@localhost', email: 'approvers@localhost' } });
    expect((await mlops('reject', 'card-fraud', '2', '--comment', 'drifted data')).stdout).toBe('card-fraud v2: pending_approval -> rejected');
  });

  it('refuses a rollback to an approver without the operator role', async () => {
    const result = await mlops('rollback', 'card-fraud', '--comment', 'latency');
    expect(result).toMatchObject({ code: 1, stderr: expect.stringContaining('(403 ForbiddenError): rolling back the live version needs the operator role (group "operators")') });
  });

  it('mlops audit verify finds the trail intact, then reports the first row altered behind the registry', async () => {
    const intact = await capture(audit, ['verify', 'card-fraud']);
    expect(intact).toMatchObject({ code: 0, stdout: expect.stringMatching(/^card-fraud: audit trail intact, \d+ rows, head [0-9a-f]{64}$/) });

    const { Items = [] } = await documents.send(
      new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': auditPk('card-fraud') }, ConsistentRead: true }),
    );
    const approval = Items.find((item) => item.to === 'approved')!;
    await documents.send(new PutCommand({ TableName: table, Item: { ...approval, actor: 'mallory@localhost' } }));
    const broken = await capture(audit, ['verify', 'card-fraud']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toBe(`card-fraud: audit trail BROKEN at row ${approval.seq} of ${Items.length}: row ${approval.seq} was altered after it was written: its content does not match its hash`);
    await documents.send(new PutCommand({ TableName: table, Item: approval }));
  });

  it('answers 401 on the IAM routes in the twin, which has no IAM principals to sign as, even with a valid token', async () => {
    const { idToken } = Object.values(JSON.parse(readFileSync(join(scratch, 'home', 'tokens.json'), 'utf8')) as Record<string, { idToken: string }>)[0];
    const api = doors.twin.output('ApprovalApiUrl').replace(/\/$/, '');
    const response = await fetch(`${api}/iam/models/card-fraud/versions/1/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${idToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ comment: 'as a robot' }),
    });
    expect({ status: response.status, body: await response.json() }).toMatchObject({ status: 401, body: { error: 'UnauthorizedError' } });
  });

  it('mlops runs start asks the approval API as the signed-in developer (a stack without a pipeline answers 409)', async () => {
    await signIn('viewer@localhost');
    expect((await capture(runs, ['start', 'card-fraud', '--reason', 'new labels'])).stderr).toContain('(403 ForbiddenError): starting a training run needs the developer role');
    await signIn('developers@localhost');
    expect(await capture(runs, ['start', 'card-fraud', '--reason', 'new labels'])).toMatchObject({ code: 1, stderr: 'mlops: refused by the approval API (409 ConflictError): this API has no training pipeline to start' });
    expect((await capture(runs, ['start', 'card-fraud'])).stderr).toBe('mlops: runs start needs --reason "<why>": it is the run record');
  });

  it('mlops runs list reads the recorded runs from the registry, newest first, a failed one with its error and why', async () => {
    await registry.recordRunFailure({ model: 'card-fraud', executionName: 'run-gate', error: 'States.TaskFailed', reason: 'gate failed: auc 0.61 < 0.8', cause: '{"details":1}' });
    const listed = await capture(runs, ['list', 'card-fraud']);
    expect(listed.code).toBe(0);
    const [header, ...lines] = listed.stdout.split('\n');
    expect(header.split(/\s{2,}/)).toEqual(['EXECUTION', 'STATUS', 'AT', 'OUTCOME']);
    expect(lines.find((line) => line.startsWith('run-gate'))).toMatch(/^run-gate\s+failed\s+\S+\s+States\.TaskFailed: gate failed: auc 0\.61 < 0\.8$/);
    const { runs: recorded } = JSON.parse((await capture(runs, ['list', 'card-fraud', '--json'])).stdout) as { runs: Array<{ executionName: string; at: string }> };
    expect(recorded.map((r) => r.executionName)).toContain('run-gate');
    expect(recorded.map((r) => r.at)).toEqual([...recorded.map((r) => r.at)].sort().reverse());
    expect(await capture(runs, ['list'])).toMatchObject({ code: 2, stderr: 'mlops: expected 1 argument(s), got 0; see mlops runs help' });
  });

  it('mlops events replay republishes the trail in order for an operator, each event carrying its audit row', async () => {
    expect((await capture(events, ['replay', 'card-fraud'])).stderr).toContain('(403 ForbiddenError): replaying registry events needs the operator role');
    await signIn('operators@localhost');
    // The stream publisher first publishes every row once (asynchronously); the replay comes after that.
    const ids = (await registry.auditTrail('card-fraud')).map((row) => row.id);
    const published = () => new Set(doors.twin.events.recent.map(({ event }) => (event.detail as { auditId?: string }).auditId));
    await vi.waitFor(() => expect(ids.every((id) => published().has(id))).toBe(true), { timeout: 20_000 });
    const before = doors.twin.events.recent.length;
    const replayed = await capture(events, ['replay', 'card-fraud', '--version', '1']);
    const trail = (await registry.auditTrail('card-fraud')).filter((row) => row.version === 1);
    expect(replayed).toMatchObject({ code: 0, stdout: `card-fraud: republished ${trail.length} of ${trail.length} registry events` });
    const sent = doors.twin.events.recent.slice(before).map(({ event }) => event.detail as { auditId: string; auditSeq: number; auditHash: string; status: string });
    expect(sent.map((d) => [d.auditId, d.auditSeq, d.auditHash, d.status])).toEqual(trail.map((row) => [row.id, row.seq, row.hash, row.to]));
    expect((await capture(events, ['replay', 'card-fraud', '--since', 'yesterday'])).stderr).toMatch(/^mlops: refused by the approval API \(400 InvalidInputError\): .*since/);
  });

  it.each([
    [['approve', 'card-fraud', '2', '--comment', 'again'], 1, 'mlops: refused by the approval API (409 IllegalTransitionError): cannot move card-fraud v2 from rejected to approved; from rejected the allowed next statuses are: none (final status)'],
    [['approve', 'card-fraud', '1'], 2, 'mlops: approve needs --comment "<why>" (1-1000 characters); it goes into the audit trail'],
    [['show', 'nope'], 2, 'mlops: model nope is not served by stack Mlops-registry (it serves card-fraud)'],
    [['show', 'card-fraud', 'x'], 2, 'mlops: version must be a positive integer, got "x"'],
    [['register', 'card-fraud', ...['--artifact', 's3://a/b', '--sha256', 'zz']], 2, 'mlops: refused by the approval API (400 InvalidInputError): invalid registration: artifactSha256: expected a lowercase hex SHA-256 (64 characters)'],
    [['register', 'card-fraud', ...artifact(9), '--metrics', '{bad'], 2, `mlops: --metrics must be JSON, e.g. '{"holdout":{"auc":0.91}}'`],
    [['list', '--frobnicate'], 2, /^mlops: Unknown option '--frobnicate'/],
    [['launch'], 2, 'mlops: unknown command "models launch"; try: mlops models help'],
  ])('answers %j with exit %i and one line', async (args, code, message) => {
    await signIn(args[0] === 'register' ? 'developers@localhost' : 'approvers@localhost');
    const result = await mlops(...args);
    expect(result.code).toBe(code);
    if (typeof message === 'string') expect(result.stderr).toBe(message);
    else expect(result.stderr).toMatch(message);
  });

  it('explains how to reach a stack when the twin is not running', async () => {
    const out: string[] = [];
    const code = await run(['list', '--twin', join(scratch, 'missing.json')], { stdout: () => {}, stderr: (s) => out.push(s) });
    expect(code).toBe(2);
    expect(out[0]).toMatch(/cannot read .*missing\.json; is the local twin running\?.*--outputs cdk-outputs\.json --region/);
    const noRegion: string[] = [];
    await run(['list', '--outputs', twinFile], { stdout: () => {}, stderr: (s) => noRegion.push(s) });
    expect(noRegion).toEqual(['mlops: --outputs needs --region (the region the stack is deployed in)']);
  });

  it('runs as an executable: bin/mlops.ts dispatches and exits 2 on bad usage without a stack trace', async () => {
    const exec = promisify(execFile);
    const ok = await exec('npx', ['tsx', 'bin/mlops.ts', 'models', 'list', '--twin', twinFile, '--json']);
    expect(JSON.parse(ok.stdout).models[0].model).toBe('card-fraud');
    const failed = await exec('npx', ['tsx', 'bin/mlops.ts', 'models', 'show']).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 2 });
    // npx may add its own warnings; ours is one line and no stack trace.
    const ours = (failed as { stderr: string }).stderr.split('\n').filter((line) => !line.startsWith('npm warn') && line);
    expect(ours).toEqual(['mlops: expected 1 to 2 argument(s), got 0; see mlops models help']);
  });
});

describe('mlops login in a browser (the hosted sign-in, then back to the loopback listener) and logout', () => {
  /** Plays the browser: opens the printed URL, submits the sign-in form, follows the redirect to the CLI's listener. */
  async function browse(url: string, user: string, tamper?: (location: URL) => void) {
    expect((await fetch(url)).status).toBe(200);
    const authorize = new URL(url);
    const form = new URLSearchParams(authorize.searchParams);
    form.set('username', user);
    const signedIn = await fetch(authorize.origin + authorize.pathname, { method: 'POST', body: form, redirect: 'manual' });
    const location = new URL(signedIn.headers.get('location')!);
    tamper?.(location);
    return fetch(location);
  }

  const loginInBrowser = async (user: string, tamper?: (location: URL) => void) => {
    const out: string[] = [];
    let landed: Promise<Response> | undefined;
    const io = {
      stdout: (s: string) => out.push(s),
      stderr: (s: string) => {
        out.push(s);
        const url = /^(http:\/\/\S+\/oauth2\/authorize\?\S+)$/m.exec(s)?.[1];
        if (url) landed = browse(url, user, tamper);
      },
    };
    const code = await login(['--twin', twinFile], io);
    return { code, out: out.join('\n'), page: await (await landed!).text() };
  };

  it('waits for the browser on http://localhost:8976/callback, exchanges the code with its PKCE verifier, and keeps the token', async () => {
    const { code, out, page } = await loginInBrowser('operators@localhost');
    expect(code).toBe(0);
    expect(out).toContain('signed in to Mlops-registry as operators@localhost; roles: operator');
    expect(page).toBe('Signed in; you can close this tab and return to the terminal.');
    expect((await mlops('rollback', 'card-fraud', '--comment', 'x')).stderr).toContain('(409 ConflictError)'); // the role passes, the state refuses
  });

  it('refuses a redirect that does not carry its sign-in state (a forged callback)', async () => {
    const { code, out, page } = await loginInBrowser('approvers@localhost', (location) => location.searchParams.set('state', 'forged'));
    expect(code).toBe(1);
    expect(out).toContain('mlops: sign-in failed: the state does not match this sign-in');
    expect(page).toBe('Sign-in failed: the state does not match this sign-in');
  });

  it('forgets the token on logout; the next write is refused', async () => {
    expect(await capture((args, io) => login(args, io, 'logout'), [])).toMatchObject({ code: 0, stdout: 'signed out of Mlops-registry' });
    expect((await mlops('approve', 'card-fraud', '2', '--comment', 'x')).stderr).toMatch(/^mlops: not signed in to http:\/\/127\.0\.0\.1:\d+\/api\/\w+\/: the approval API needs a signed-in user/);
  });
});

