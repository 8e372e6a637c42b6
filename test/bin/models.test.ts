import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../bin/commands/models';
import { type LocalDynamo, startDynalite } from '../helpers/dynalite';
import { registryOn, sha } from '../lambdas/registry/fixtures';

let dynamo: LocalDynamo;
let dir: string;
let twin: string;

beforeAll(async () => {
  dynamo = await startDynalite();
  dir = await mkdtemp(join(tmpdir(), 'mlops-cli-'));
  twin = join(dir, 'twin.json');
  await writeFile(
    twin,
    JSON.stringify({
      dynamodbEndpoint: dynamo.endpoint,
      s3Endpoint: 'http://127.0.0.1:1',
      region: 'eu-west-1',
      stacks: { 'mlops-fraud': { outputs: { RegistryRegistryTableName1A2B3C: dynamo.tableName, ArtifactBucketName: 'artifacts' } } },
    }),
  );
});
afterAll(async () => {
  await dynamo.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Runs `mlops models <args>` against the twin file; returns exit code and output. */
async function mlops(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run([...args, '--twin', twin], { stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

const artifact = (n: number) => ['--artifact', `s3://artifacts/byo/model-${n}.tar.gz`, '--sha256', sha(n)];

describe('mlops models', () => {
  it('registers, lists and shows versions as tables', async () => {
    const registered = await mlops('register', 'card-fraud', ...artifact(1), '--metrics', '{"holdout":{"auc":0.91}}', '--primary-metric', 'auc');
    expect(registered).toEqual({ code: 0, stdout: 'registered card-fraud v1 (pending_approval)', stderr: '' });
    await mlops('register', 'card-fraud', ...artifact(2));

    const list = await mlops('list');
    expect(list.stdout.split('\n')[0]).toMatch(/^MODEL\s+LATEST\s+LIVE\s+PREVIOUS LIVE\s+DEPLOYING\s+UPDATED$/);
    expect(list.stdout.split('\n')[1]).toMatch(/^card-fraud\s+2\s+-\s+-\s+-\s+\d{4}-/);

    const model = await mlops('show', 'card-fraud');
    expect(model.stdout).toContain('card-fraud: latest v2, live none, previous live none');
    expect(model.stdout).toMatch(/1\s+pending_approval\s+auc\s+0\.91/);

    const version = await mlops('show', 'card-fraud', '1');
    expect(version.stdout).toMatch(/artifact sha256\s+0{63}1/);
    expect(version.stdout).toMatch(/holdout\.auc=0\.91/);
    expect(version.stdout).toMatch(/Z {2}-\s+pending_approval\s+cli:\S+\s+registered/);
  });

  it('prints JSON for scripts', async () => {
    const { code, stdout } = await mlops('show', 'card-fraud', '1', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ model: 'card-fraud', version: 1, artifact: { sha256: sha(1) }, audit: [{ to: 'pending_approval' }] });
  });

  it('approves and rejects as the local user, with the comment in the audit trail', async () => {
    expect(await mlops('approve', 'card-fraud', '1', '--comment', 'good lift')).toMatchObject({
      code: 0,
      stdout: 'card-fraud v1: pending_approval -> approved',
    });
    const { audit } = await registryOn(dynamo).getVersionDetail('card-fraud', 1);
    expect(audit.at(-1)).toMatchObject({ actor: `cli:${userInfo().username}`, reason: 'good lift' });
    expect((await mlops('reject', 'card-fraud', '2', '--comment', 'drifted data')).stdout).toBe('card-fraud v2: pending_approval -> rejected');
  });

  it('rolls back the live version and says which version is live again', async () => {
    const registry = registryOn(dynamo);
    for (const n of [3, 4]) {
      await mlops('register', 'card-fraud', ...artifact(n));
      await registry.approve('card-fraud', n, { actor: 'a', reason: 'r' });
      await registry.beginDeployment('card-fraud', n, { actor: 'd', reason: 'r' }, 'deploy-test');
      await registry.finalizeDeployment('card-fraud', n, { actor: 'd', reason: 'r' });
    }
    const result = await mlops('rollback', 'card-fraud', '--comment', 'latency');
    expect(result).toMatchObject({ code: 0, stdout: 'card-fraud v4: live -> rolled_back; v3 is live again' });
    expect((await registry.getModel('card-fraud')).liveVersion).toBe(3);
  });

  it.each([
    [['approve', 'card-fraud', '2', '--comment', 'again'], 1, 'mlops: cannot move card-fraud v2 from rejected to approved; from rejected the allowed next statuses are: none (final status)'],
    [['approve', 'card-fraud', '1'], 2, 'mlops: approve needs --comment "<why>" (1-1000 characters); it goes into the audit trail'],
    [['show', 'nope'], 1, 'mlops: model "nope" not found'],
    [['show', 'card-fraud', 'x'], 2, 'mlops: version must be a positive integer, got "x"'],
    [['register', 'card-fraud', ...['--artifact', 's3://a/b', '--sha256', 'zz']], 2, 'mlops: invalid registration: artifactSha256: expected a lowercase hex SHA-256 (64 characters)'],
    [['register', 'card-fraud', ...artifact(9), '--metrics', '{bad'], 2, `mlops: --metrics must be JSON, e.g. '{"holdout":{"auc":0.91}}'`],
    [['list', '--frobnicate'], 2, /^mlops: Unknown option '--frobnicate'/],
    [['launch'], 2, 'mlops: unknown command "models launch"; try: mlops models help'],
  ])('answers %j with exit %i and one line', async (args, code, message) => {
    const result = await mlops(...args);
    expect(result.code).toBe(code);
    if (typeof message === 'string') expect(result.stderr).toBe(message);
    else expect(result.stderr).toMatch(message);
  });

  it('explains how to reach a stack when the twin is not running', async () => {
    const out: string[] = [];
    const code = await run(['list', '--twin', join(dir, 'missing.json')], { stdout: () => {}, stderr: (s) => out.push(s) });
    expect(code).toBe(2);
    expect(out[0]).toMatch(/cannot read .*missing\.json; is the local twin running\?.*--outputs cdk-outputs\.json --region/);
    const noRegion: string[] = [];
    await run(['list', '--outputs', twin], { stdout: () => {}, stderr: (s) => noRegion.push(s) });
    expect(noRegion).toEqual(['mlops: --outputs needs --region (the region the stack is deployed in)']);
  });

  it('runs as an executable: bin/mlops.ts dispatches and exits 2 on bad usage without a stack trace', async () => {
    const exec = promisify(execFile);
    const ok = await exec('npx', ['tsx', 'bin/mlops.ts', 'models', 'list', '--twin', twin, '--json']);
    expect(JSON.parse(ok.stdout).models[0].model).toBe('card-fraud');
    const failed = await exec('npx', ['tsx', 'bin/mlops.ts', 'models', 'show']).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 2 });
    // npx may add its own warnings; ours is one line and no stack trace.
    const ours = (failed as { stderr: string }).stderr.split('\n').filter((line) => !line.startsWith('npm warn') && line);
    expect(ours).toEqual(['mlops: expected 1 to 2 argument(s), got 0; see mlops models help']);
  });
});
