import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Runs `npx cdk synth --quiet -o <outdir>` in the project, passing each output line to `onLine`; throws on failure. */
export async function synthesize(projectRoot: string, outdir: string, onLine: (line: string) => void): Promise<void> {
  const child = spawn('npx', ['cdk', 'synth', '--quiet', '-o', outdir], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
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
  if (code !== 0) throw new Error(`cdk synth failed (exit ${code}):\n${tail.join('\n')}`);
}
