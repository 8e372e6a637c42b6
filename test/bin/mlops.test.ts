import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { run as audit } from '../../bin/commands/audit';
import { run as deployments } from '../../bin/commands/deployments';
import { run as models } from '../../bin/commands/models';

/** `mlops help` as a user runs it, and `mlops models help` in-process. */
describe('mlops help', () => {
  let usage: string;
  beforeAll(async () => {
    ({ stdout: usage } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bin/mlops.ts', 'help']));
  }, 60_000);

  it('names every subcommand that `mlops models help` documents on its models line', async () => {
    const printed: string[] = [];
    await models(['help'], { stdout: (s) => printed.push(s), stderr: (s) => printed.push(s) });
    const documented = new Set([...printed.join('\n').matchAll(/^ {2}([a-z]+) /gm)].map((match) => match[1]));

    expect([...documented]).toEqual(expect.arrayContaining(['list', 'show', 'register', 'approve', 'reject', 'rollback', 'shadow']));
    expect(new Set(/^ {2}models (\S+)/m.exec(usage)?.[1].split('|'))).toEqual(documented);
  });

  it('says batch scoring reads CSV and Parquet', () => {
    expect(usage).toContain('batch scoring of a CSV or Parquet dataset');
  });

  it.each([
    ['audit', audit, ['verify']],
    ['deployments', deployments, ['abort']],
    ['models', models, ['show']],
  ] as const)('sends a %s command given too few arguments to its own group\'s help', async (group, run, args) => {
    const printed: string[] = [];
    const code = await run([...args], { stdout: (s) => printed.push(s), stderr: (s) => printed.push(s) });
    expect([code, printed.join('\n')]).toEqual([2, expect.stringMatching(new RegExp(`^mlops: expected 1( to 2)? argument\\(s\\), got 0; see mlops ${group} help$`))]);
  });
});
