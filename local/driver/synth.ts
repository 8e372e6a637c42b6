import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Runs `npx cdk synth --quiet -c team=<team> -o <outdir>` in the project, passing each output line to `onLine`;
 * throws on failure. Aborting `signal` stops the synth and everything it started (its own process group).
 */
export async function synthesize(projectRoot: string, outdir: string, team: string, onLine: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const child = spawn('npx', ['cdk', 'synth', '--quiet', '-c', `team=${team}`, '-o', outdir], {
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
  if (code !== 0) throw new Error(`cdk synth -c team=${team} failed (exit ${code}):\n${tail.join('\n')}`);
}
