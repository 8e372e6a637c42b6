import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teamAssembly } from '../helpers/team-assembly';
import { Twin } from '../../local/twin';

const PROJECT_ROOT = resolve(__dirname, '..', '..');

/**
 * `npm start` as a user runs it (npm, the script's tsx, the driver: a process group of its own, as a terminal job
 * is), on the example team's cloud assembly (synthesized once, shared with the other test files; read-only).
 */
let scratch: string;
let cdkOut: string;
const started: ChildProcess[] = [];

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'npm-start-'));
  cdkOut = await teamAssembly();
}, 600_000);

afterAll(() => {
  // A failed test may leave its run behind: stop its whole group.
  for (const child of started) if (child.exitCode === null && child.signalCode === null) killGroup(child.pid!, 'SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function npmStart(args: string[]): Run {
  const child = spawn('npm', ['start', '--', ...args], { cwd: PROJECT_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('close', (code, signal) => done({ code, signal })));
  return { child, output: () => output, exited };
}

async function waitForOutput(run: Run, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(run.output())) {
    if (run.child.exitCode !== null) throw new Error(`npm start exited (${run.child.exitCode}) before ${pattern}:\n${run.output()}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} after ${timeoutMs / 1000}s:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every process below `root`, from the process table. */
function descendants(root: number): number[] {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number));
  const found: number[] = [];
  for (let frontier = [root]; frontier.length; ) {
    const children = table.filter(([, ppid]) => frontier.includes(ppid)).map(([pid]) => pid);
    found.push(...children);
    frontier = children;
  }
  return found;
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** The processes of `pids` and of the group `pgid` still alive after up to `graceMs`. */
async function survivors(pids: number[], pgid: number, graceMs: number): Promise<number[]> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const alive = pids.filter(isAlive);
    const groupAlive = isAlive(-pgid);
    if ((alive.length === 0 && !groupAlive) || Date.now() > deadline) return groupAlive ? [...alive, -pgid] : alive;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('npm start stops the twin on a signal', () => {
  it('SIGTERM while the training pipeline runs (headless): every child process ends and the state file is removed', async () => {
    // GIVEN a headless run whose training pipeline is processing the dataset
    const stateFile = join(scratch, 'headless-twin.json');
    const run = npmStart(['--no-synth', '--cdk-out', cdkOut, '--data-dir', join(scratch, 'headless'), '--state-file', stateFile, '--port', '0', '--rows', '2000', '--auto-approve', '--until', 'retrained']);
    await waitForOutput(run, /training manual-\S+ › (Process|Train)/, 300_000);
    expect(existsSync(stateFile)).toBe(true);
    const processes = descendants(run.child.pid!);
    expect(processes.length).toBeGreaterThan(1);
    // WHEN npm is sent SIGTERM (as `kill <pid of npm start>` does)
    process.kill(run.child.pid!, 'SIGTERM');
    const exit = await run.exited;
    // THEN it says so, exits as terminated, leaves no process of its own behind and removes the state file
    expect(run.output()).toContain('SIGTERM: stopping the twin');
    expect(exit.code).toBe(143);
    expect(await survivors(processes, run.child.pid!, 15_000)).toEqual([]);
    expect(existsSync(stateFile)).toBe(false);
  }, 600_000);

  it('Ctrl-C (SIGINT to the whole group) to the interactive twin waiting for the approval click: the same, and exit 0', async () => {
    const stateFile = join(scratch, 'interactive-twin.json');
    const run = npmStart(['--no-synth', '--cdk-out', cdkOut, '--data-dir', join(scratch, 'interactive'), '--state-file', stateFile, '--port', '0', '--rows', '2000', '--no-traffic']);
    await waitForOutput(run, /Ctrl-C stops it/, 400_000);
    expect(existsSync(stateFile)).toBe(true);
    const processes = descendants(run.child.pid!);
    process.kill(-run.child.pid!, 'SIGINT');
    const exit = await run.exited;
    expect(run.output()).toContain('SIGINT: stopping the twin');
    expect(exit.code).toBe(0);
    expect(await survivors(processes, run.child.pid!, 15_000)).toEqual([]);
    expect(existsSync(stateFile)).toBe(false);
  }, 600_000);

  it('SIGHUP to the whole group (the terminal closed) as soon as the twin is up: the same', async () => {
    const stateFile = join(scratch, 'hangup-twin.json');
    const run = npmStart(['--no-synth', '--cdk-out', cdkOut, '--data-dir', join(scratch, 'hangup'), '--state-file', stateFile, '--port', '0', '--auto-approve', '--until', 'deployed']);
    await waitForOutput(run, /twin up in/, 300_000);
    const processes = descendants(run.child.pid!);
    process.kill(-run.child.pid!, 'SIGHUP');
    // npm itself dies of the hangup; the driver's output ends when the driver does.
    await run.exited;
    expect(run.output()).toContain('SIGHUP: stopping the twin');
    expect(await survivors(processes, run.child.pid!, 15_000)).toEqual([]);
    expect(existsSync(stateFile)).toBe(false);
  }, 600_000);
});

describe('npm start runs the team it is asked for', () => {
  it('refuses a cloud assembly of another team (--no-synth)', async () => {
    const dataset = join(scratch, 'machines.csv');
    writeFileSync(dataset, 'rms_velocity,peak_acceleration,kurtosis,crest_factor,bearing_temp_c,rpm,load_pct,fault\n1,2,3,4,50,1500,60,normal\n');
    const run = npmStart(['--team', 'maintenance', '--dataset', dataset, '--no-synth', '--cdk-out', cdkOut, '--state-file', join(scratch, 'never.json')]);
    expect((await run.exited).code).toBe(2);
    expect(run.output()).toContain(`${cdkOut} holds the stack Mlops-fraud, not Mlops-maintenance: synthesize team maintenance`);
    expect(existsSync(join(scratch, 'never.json'))).toBe(false);
  }, 120_000);

  it('refuses a team that is not the example without --dataset, before anything is synthesized', async () => {
    const run = npmStart(['--team', 'maintenance', '--cdk-out', join(scratch, 'never-synthesized')]);
    expect((await run.exited).code).toBe(2);
    expect(run.output()).toContain('team maintenance (model machine-fault) needs its own data: pass --dataset <file.csv|file.parquet|directory> with the columns');
    expect(existsSync(join(scratch, 'never-synthesized'))).toBe(false);
  }, 120_000);
});

describe('npm start -- --update applies the app to the twin already running', () => {
  it('prints the change set of the twin named by the state file, and exits 0', async () => {
    // GIVEN a twin of the example team running with a state file
    const stateFile = join(scratch, 'update-twin.json');
    const twin = await Twin.start({ cdkOut, dataDirectory: join(scratch, 'update-data'), stateFile });
    try {
      // WHEN the same cloud assembly is applied to it
      const run = npmStart(['--update', '--no-synth', '--cdk-out', cdkOut, '--state-file', stateFile]);
      const { code } = await run.exited;
      // THEN the change set says nothing changed, and the twin is still up
      expect(run.output()).toContain('stack update applied to the running twin:\n  Mlops-fraud: no changes');
      expect(code).toBe(0);
      expect(twin.timeline.entries.some((e) => e.message === 'stack update: Mlops-fraud: no changes')).toBe(true);
    } finally {
      await twin.stop();
    }
  }, 300_000);

  it('exits 2 saying no twin is running when there is no state file', async () => {
    const run = npmStart(['--update', '--no-synth', '--cdk-out', cdkOut, '--state-file', join(scratch, 'nobody.json')]);
    expect((await run.exited).code).toBe(2);
    expect(run.output()).toContain(`no twin is running: ${join(scratch, 'nobody.json')} does not exist (start one with npm start)`);
  }, 120_000);
});
