import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as login } from '../../bin/commands/login';
import { run } from '../../bin/commands/models';
import { servedModel } from '../../bin/commands/served-model';
import { startTeamTwin, type TeamTwin } from '../helpers/twin';

/** The example stack (model card-fraud) in the twin, found by the CLI through the twin's state file. */
let team: TeamTwin;
let scratch: string;
let stateFile: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'served-model-'));
  stateFile = join(scratch, 'twin.json');
  vi.stubEnv('MLOPS_HOME', join(scratch, 'home'));
  vi.stubEnv('MLOPS_TOKEN', '');
  team = await startTeamTwin({ timeScale: 60, stateFile });
}, 600_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await team?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function mlops(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run([...args, '--twin', stateFile], { stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

const artifact = ['--artifact', 's3://artifacts/byo/model.tar.gz', '--sha256', 'a'.repeat(64)];
const NOT_SERVED = 'mlops: model cancer is not served by stack Mlops-fraud (it serves card-fraud)';

describe('mlops models refuses a model the stack does not serve', () => {
  it.each([
    ['register', ['register', 'cancer', ...artifact]],
    ['approve', ['approve', 'cancer', '1', '--comment', 'looks good']],
    ['reject', ['reject', 'cancer', '1', '--comment', 'no']],
    ['rollback', ['rollback', 'cancer', '--comment', 'bad']],
    ['show', ['show', 'cancer']],
  ])('%s: exit 2 naming the stack and the model it serves', async (_, args) => {
    expect(await mlops(...args)).toEqual({ code: 2, stdout: '', stderr: NOT_SERVED });
  });

  it('writes nothing to the registry for it', async () => {
    const { code, stdout } = await mlops('list', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout).models.map((m: { model: string }) => m.model)).not.toContain('cancer');
  });

  it('goes on to the registry (through the approval API) for the served model', async () => {
    const signIn = (user: string) => login(['--user', user, '--twin', stateFile], { stdout: () => {}, stderr: () => {} });
    expect(await signIn('developers@localhost')).toBe(0);
    expect(await mlops('register', 'card-fraud', ...artifact)).toMatchObject({ code: 0, stdout: 'registered card-fraud v1 (pending_approval)' });
    expect(await signIn('approvers@localhost')).toBe(0);
    expect(await mlops('approve', 'card-fraud', '1', '--comment', 'looks good')).toMatchObject({ code: 0, stdout: 'card-fraud v1: pending_approval -> approved' });
  });
});

describe('servedModel', () => {
  it("reads the stack's ModelName output", async () => {
    const outputs = team.twin.app.outputs()['Mlops-fraud'];
    expect(outputs.ModelName).toBe('card-fraud');
    expect(await servedModel({ kind: 'twin', region: team.twin.app.env.region, stackName: 'Mlops-fraud', outputs, twinUrl: team.twin.url })).toBe('card-fraud');
  });

  it("asks the inference function of a stack deployed before the ModelName output, and knows nothing of one without either", async () => {
    const { ModelName: _, ...older } = team.twin.app.outputs()['Mlops-fraud'];
    const target = { kind: 'twin' as const, region: team.twin.app.env.region, stackName: 'Mlops-fraud', twinUrl: team.twin.url };
    expect(await servedModel({ ...target, outputs: older })).toBe('card-fraud');
    expect(await servedModel({ ...target, outputs: { ArtifactBucketName: 'b' } })).toBeUndefined();
  });
});
