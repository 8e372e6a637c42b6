import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
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
 * A synthesis goes to a directory of its own (`<key>.building-<pid>`) and is renamed into place whole, so no reader sees
 * half an assembly; a process that finds another live process building the same assembly (two test workers starting
 * files of one team, the template linters run beside the tests) waits for it instead of synthesizing it again.
 */
export async function teamAssembly(config: TeamConfig = exampleConfig()): Promise<string> {
  const directory = join(CACHE_DIR, assemblyKey(config));
  mkdirSync(CACHE_DIR, { recursive: true });
  while (!existsSync(join(directory, 'manifest.json'))) {
    if (!buildingElsewhere(directory)) return await build(config, directory);
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
  }
  const now = new Date();
  utimesSync(directory, now, now);
  return directory;
}

async function build(config: TeamConfig, directory: string): Promise<string> {
  pruneUnused();
  const building = `${directory}${BUILDING}${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  try {
    await synthesize(config, building);
    renameSync(building, directory);
  } catch (err) {
    // A failed synthesis leaves nothing for a waiting process to wait on; a rename that lost to another process's
    // (a race the wait above narrows but cannot close) leaves that process's assembly in place.
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(join(directory, 'manifest.json'))) throw err;
  }
  return directory;
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

/** Runs test/helpers/synthesize-team-assembly.ts, which writes the assembly to `outdir`. */
async function synthesize(config: TeamConfig, outdir: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'synthesize-team-assembly.ts'), outdir], { cwd: ROOT, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
  child.stdin.end(JSON.stringify(config));
  const code = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('close', resolve));
  if (code !== 0) throw new Error(`synthesizing team ${config.team} into ${outdir} failed (exit ${code}):\n${stderr}`);
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
