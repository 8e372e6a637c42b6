import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Template } from 'aws-cdk-lib/assertions';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import * as z from 'zod';
import type { TeamConfig } from '../../contracts/team-config';
import { projectContext } from './project-context';
import { exampleConfig } from './synth';

const ROOT = join(__dirname, '..', '..');

/**
 * Everything synthesis reads besides the team config: the constructs, the function entries esbuild bundles and what
 * they import, the pipelines' containers and scripts, the teams' own images (examples/: their build contexts are
 * copied into the assembly), the console bundle, the locked dependencies, the CDK flags, and this cache's own code.
 * A change to any of them is a new assembly.
 */
const SYNTH_INPUTS = ['lib', 'lambdas', 'pipelines', 'examples', 'console', 'package-lock.json', 'cdk.json', 'tsconfig.json', 'test/helpers'];
/** Build outputs and caches inside the inputs that synthesis does not read (the console's own twin build, Python bytecode). */
const NOT_INPUTS = new Set(['node_modules', '__pycache__', 'console/public/app.js', 'console/public/app.js.map']);

/** Where assemblies are kept between test files, workers and runs; an entry unused for a day is removed. */
const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'mlops-team-assemblies');
const UNUSED_FOR_MS = 24 * 60 * 60 * 1000;
const BUILDING = '.building-';
const WAIT_POLL_MS = 1000;

/**
 * The team's cloud assembly (stack `Mlops-<team>`, as bin/app.ts names it), synthesized once per content of its
 * inputs and shared by every test file and worker that asks for the same config: synthesis bundles every function
 * and costs tens of seconds. Read-only for its users (the twin only reads cdk.out; its Python runs without writing bytecode).
 */
export async function teamAssembly(config: TeamConfig = exampleConfig()): Promise<string> {
  const [assembly] = teamAssemblies([config]);
  return assembly;
}

/**
 * Several teams' assemblies (teamAssembly's), each promised as soon as it is ready: the missing ones are synthesized by
 * one process, one after another, which bundles each function once for all of them.
 * A synthesis goes to a directory of its own (`<key>.building-<pid>`) and is renamed into place whole, so no reader sees
 * half an assembly; a process that finds another live process building the same assembly (two test workers starting
 * files of one team) waits for it instead of synthesizing it again.
 */
export function teamAssemblies(configs: readonly TeamConfig[]): Array<Promise<string>> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const wanted = configs.map((config) => ({ config, directory: join(CACHE_DIR, assemblyKey(config)) }));
  const missing = wanted.filter(({ directory }, index) => !isBuilt(directory) && !buildingElsewhere(directory) && wanted.findIndex((w) => w.directory === directory) === index);
  const building = missing.length > 0 ? build(missing) : new Map<string, Promise<void>>();
  return wanted.map(async ({ config, directory }) => {
    await building.get(directory);
    while (!isBuilt(directory)) {
      if (buildingElsewhere(directory)) await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
      else await build([{ config, directory }]).get(directory);
    }
    const now = new Date();
    utimesSync(directory, now, now);
    return directory;
  });
}

/** What synthesize-team-assembly.ts reads on stdin: the team configs and where each one's assembly goes. */
export const synthesisJobsSchema = z.array(z.object({ config: z.unknown(), outdir: z.string() }));
/** The line synthesize-team-assembly.ts writes to stdout, with the job's index, when that job's assembly is written. */
export const SYNTHESIZED = 'synthesized';

const isBuilt = (directory: string) => existsSync(join(directory, 'manifest.json'));

/** Runs test/helpers/synthesize-team-assembly.ts for `jobs`; each directory's promise settles when its assembly is in place. */
function build(jobs: ReadonlyArray<{ config: TeamConfig; directory: string }>): Map<string, Promise<void>> {
  pruneUnused();
  const outdirs = jobs.map(({ directory }) => `${directory}${BUILDING}${process.pid}`);
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
  const settlers: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  const promises = jobs.map(() => new Promise<void>((resolve, reject) => settlers.push({ resolve, reject })));
  const pending = new Set(jobs.keys());

  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'synthesize-team-assembly.ts')], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const index = line.startsWith(`${SYNTHESIZED} `) ? Number(line.slice(SYNTHESIZED.length + 1)) : -1;
    if (!pending.delete(index)) return;
    try {
      renameSync(outdirs[index], jobs[index].directory);
      settlers[index].resolve();
    } catch (err) {
      // Another process renamed the same assembly into place first (a race the wait narrows but cannot close).
      rmSync(outdirs[index], { recursive: true, force: true });
      if (isBuilt(jobs[index].directory)) settlers[index].resolve();
      else settlers[index].reject(err as Error);
    }
  });
  const failed = (reason: string) => {
    for (const index of pending) {
      // A failed synthesis leaves nothing for a waiting process to wait on.
      rmSync(outdirs[index], { recursive: true, force: true });
      settlers[index].reject(new Error(`synthesizing team ${jobs[index].config.team} into ${outdirs[index]} failed (${reason}):\n${stderr}`));
    }
    pending.clear();
  };
  child.on('error', (err) => failed(err.message));
  child.on('close', (code) => failed(`exit ${code}`));
  child.stdin.end(JSON.stringify(jobs.map(({ config }, index) => ({ config, outdir: outdirs[index] }))));
  // Rejections reach whoever awaits the directory's promise; none is unhandled meanwhile.
  for (const promise of promises) promise.catch(() => undefined);
  return new Map(jobs.map(({ directory }, index) => [directory, promises[index]]));
}

/** Whether a live process other than this one is synthesizing the assembly `directory` will hold. */
function buildingElsewhere(directory: string): boolean {
  const prefix = `${basename(directory)}${BUILDING}`;
  return readdirSync(CACHE_DIR)
    .filter((entry) => entry.startsWith(prefix))
    .map((entry) => Number(entry.slice(prefix.length)))
    .some((pid) => pid !== process.pid && isAlive(pid));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The team stack's template from the shared assembly, for tests that read the template and not the constructs. */
export async function teamTemplate(config: TeamConfig = exampleConfig()): Promise<Template> {
  const assembly = new CloudAssembly(await teamAssembly(config));
  return Template.fromJSON(assembly.getStackArtifact(`Mlops-${config.team}`).template);
}

function assemblyKey(config: TeamConfig): string {
  const hash = createHash('sha256').update(JSON.stringify(config)).update('\0').update(JSON.stringify(projectContext()));
  for (const input of SYNTH_INPUTS) hashInput(hash, input);
  return hash.digest('hex').slice(0, 32);
}

function hashInput(hash: ReturnType<typeof createHash>, path: string): void {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (NOT_INPUTS.has(path) || NOT_INPUTS.has(name) || name.endsWith('.pyc')) return;
  const stats = statSync(join(ROOT, path), { throwIfNoEntry: false });
  if (stats?.isDirectory()) {
    for (const entry of readdirSync(join(ROOT, path)).sort()) hashInput(hash, `${path}/${entry}`);
  } else if (stats?.isFile()) {
    hash.update(`\0${path}\0`).update(readFileSync(join(ROOT, path)));
  }
}

/** Removes assemblies (and builds of workers that died) nobody used for a day: every edit of an input leaves one behind. */
function pruneUnused(): void {
  for (const entry of readdirSync(CACHE_DIR)) {
    const path = join(CACHE_DIR, entry);
    const stats = statSync(path, { throwIfNoEntry: false });
    if (stats && Date.now() - stats.mtimeMs > UNUSED_FOR_MS) rmSync(path, { recursive: true, force: true });
  }
}
