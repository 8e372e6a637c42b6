import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TeamConfig } from '../../contracts/team-config';
import { createInterface } from 'node:readline';

/**
 * Runs `npx cdk synth --quiet -c team=<team> -o <outdir>` in the project (`-c teamsDir=<dir>` when the team's config
 * is read from another directory), passing each output line to `onLine`; throws on failure. Aborting `signal` stops
 * the synth and everything it started (its own process group).
 */
export async function synthesize(
  projectRoot: string,
  outdir: string,
  team: string,
  onLine: (line: string) => void,
  signal?: AbortSignal,
  teamsDir?: string,
): Promise<void> {
  const context = ['-c', `team=${team}`, ...(teamsDir ? ['-c', `teamsDir=${teamsDir}`] : [])];
  const child = spawn('npx', ['cdk', 'synth', '--quiet', ...context, '-o', outdir], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    // npx starts the CDK CLI, which starts the app: a group of its own lets a stop reach all of them.
    detached: true,
  });
  const stop = () => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
  };
  if (signal?.aborted) stop();
  else signal?.addEventListener('abort', stop, { once: true });
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      if (/^npm warn/.test(line) || line.trim() === '') return;
      tail.push(line);
      if (tail.length > 30) tail.shift();
      onLine(line);
    });
  }
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  signal?.removeEventListener('abort', stop);
  if (code !== 0) throw new Error(`cdk synth ${context.join(' ')} failed (exit ${code}):\n${tail.join('\n')}`);
}

/**
 * Synthesizes a team config that is not in pipelines/teams (written to a directory of its own) with `cdk synth`, as a
 * team's `cdk deploy` would, in a child process: the twin keeps serving meanwhile.
 */
export async function synthesizeConfig(projectRoot: string, config: TeamConfig, outdir: string, onLine: (line: string) => void = () => undefined): Promise<string> {
  const teamsDir = mkdtempSync(join(tmpdir(), 'team-config-'));
  try {
    writeFileSync(join(teamsDir, `${config.team}.json`), JSON.stringify(config, null, 2));
    await synthesize(projectRoot, outdir, config.team, onLine, undefined, teamsDir);
    return outdir;
  } finally {
    rmSync(teamsDir, { recursive: true, force: true });
  }
}
