import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { z } from 'zod';
import { buildOnce } from './build-once';
import { normalizePackageName, parsePinnedRequirements, type PinnedRequirement } from './python-requirements';
import { PYTHON_DEBIAN_PACKAGES, resolvePython } from './python-runtime';

/** A virtual environment made from one requirements file. */
export interface PythonEnvironment {
  /** `<directory>/bin/python`: runs code with the requirements' packages and nothing else of the machine's. */
  readonly python: string;
  readonly directory: string;
  /** SHA-256 (hex) of what the environment is made from; its directory's name. */
  readonly key: string;
}

export interface PythonEnvironmentOptions {
  /** A complete lock: every line `name==version`, transitive dependencies included (as `pip freeze` writes it). */
  readonly requirementsFile: string;
  /**
   * Top-level packages of Debian's dist-packages (DEBIAN_DIST_PACKAGES) the environment may import, e.g. `torch`,
   * whose PyPI wheels are too large (GPU libraries). Only these, with their metadata; their own dependencies must be
   * pinned in the requirements.
   * @default - none: nothing of the machine's site packages is visible
   */
  readonly systemPackages?: readonly string[];
  /** Progress: why a first run is slow (the venv and pip's output), and waits for another process building it. */
  readonly onLine?: (line: string) => void;
}

export type PythonEnvironmentErrorCode =
  | 'InterpreterMissing'
  | 'RequirementsMissing'
  | 'SystemPackageMissing'
  | 'VenvFailed'
  | 'PipInstallFailed'
  | 'IncompleteLock';

export class PythonEnvironmentError extends Error {
  constructor(
    readonly code: PythonEnvironmentErrorCode,
    message: string,
    /** The failing command's last lines (pip's, for PipInstallFailed). */
    readonly tail: readonly string[] = [],
  ) {
    super(tail.length > 0 ? `${message}:\n${tail.join('\n')}` : message);
    this.name = 'PythonEnvironmentError';
  }
}

/** Where Debian installs its python3-* packages (python3-torch, python3-sklearn, ...). */
const DEBIAN_DIST_PACKAGES = '/usr/lib/python3/dist-packages';

/** Part of every key: a change to how environments are built makes new ones instead of reusing old ones. */
const FORMAT_VERSION = 1;

/** The distributions `python -m venv` installs itself; `pip freeze` leaves them out of a lock as well. */
const VENV_SEED = new Set(['pip', 'setuptools', 'wheel']);

/** pip's lines kept for a failure's message. */
const TAIL_LINES = 30;

/** `$MLOPS_CACHE_DIR/python-environments`, by default under ~/.cache/mlops. */
export function pythonEnvironmentsDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.MLOPS_CACHE_DIR || join(homedir(), '.cache', 'mlops'), 'python-environments');
}

/** Environments this process is creating, so that its own concurrent callers share one build without polling. */
const inProgress = new Map<string, Promise<PythonEnvironment>>();

/**
 * The virtual environment of a requirements file, created on first use with Debian's python3 (or MLOPS_PYTHON) and
 * `pip install -r`, then reused: it is cached under pythonEnvironmentsDirectory() by a SHA-256 of the requirements,
 * the interpreter (path and exact version), the exposed system packages and FORMAT_VERSION. Concurrent callers, in
 * this process or others, build it once. The file must pin every line, and after the install every distribution in
 * the environment must be one it pins: the file is then a complete lock, and a rebuild installs the same packages.
 */
export async function ensurePythonEnvironment(options: PythonEnvironmentOptions): Promise<PythonEnvironment> {
  const plan = await planEnvironment(options);
  const environment = { python: join(plan.directory, 'bin', 'python'), directory: plan.directory, key: plan.key };
  let building = inProgress.get(plan.directory);
  if (!building) {
    building = buildOnce({
      directory: plan.directory,
      build: () => createEnvironment(plan, options.onLine),
      onWait: (pid) => options.onLine?.(`waiting for process ${pid}, which is creating the Python environment ${plan.key.slice(0, 12)} (${plan.imageDirectory})`),
    })
      .then(() => environment)
      .finally(() => inProgress.delete(plan.directory));
    inProgress.set(plan.directory, building);
  }
  return building;
}

interface EnvironmentPlan {
  readonly key: string;
  readonly directory: string;
  readonly imageDirectory: string;
  readonly requirementsFile: string;
  readonly requirements: readonly PinnedRequirement[];
  readonly interpreter: string;
  readonly interpreterVersion: string;
  /** Paths in DEBIAN_DIST_PACKAGES to expose: each system package and its metadata directory. */
  readonly systemEntries: readonly string[];
  readonly systemPackages: readonly string[];
}

async function planEnvironment(options: PythonEnvironmentOptions): Promise<EnvironmentPlan> {
  const { requirementsFile } = options;
  if (!existsSync(requirementsFile)) {
    throw new PythonEnvironmentError('RequirementsMissing', `${requirementsFile} does not exist: a Python image declares its dependencies there, pinned as name==version`);
  }
  const text = readFileSync(requirementsFile, 'utf8');
  const requirements = parsePinnedRequirements(requirementsFile, text);
  const interpreter = pythonInterpreter();
  const interpreterVersion = (await promisify(execFile)(interpreter, ['-c', 'import sys; print(sys.version)'])).stdout.trim();
  const systemPackages = [...new Set(options.systemPackages ?? [])].sort();
  const systemEntries = systemPackages.flatMap((name) => systemPackageEntries(name, requirementsFile));
  const key = createHash('sha256')
    .update(JSON.stringify({ format: FORMAT_VERSION, requirements: text, interpreter, interpreterVersion, systemPackages, systemEntries }))
    .digest('hex');
  return {
    key,
    directory: join(pythonEnvironmentsDirectory(), key),
    imageDirectory: dirname(requirementsFile),
    requirementsFile,
    requirements,
    interpreter,
    interpreterVersion,
    systemEntries,
    systemPackages,
  };
}

function pythonInterpreter(): string {
  const python = resolvePython();
  if (!python.path) {
    throw new PythonEnvironmentError(
      'InterpreterMissing',
      `the Python interpreter ${python.requested} is not an executable file on this machine: install Debian's Python with venv support ` +
        `and the documented exception, PyTorch (apt-get install ${PYTHON_DEBIAN_PACKAGES.join(' ')}), or set MLOPS_PYTHON to the interpreter to use`,
    );
  }
  return realpathSync(python.path);
}

/** A top-level package of Debian's dist-packages (its directory or module file) and the metadata that names it. */
function systemPackageEntries(name: string, requirementsFile: string): string[] {
  const missing = (why: string) =>
    new PythonEnvironmentError(
      'SystemPackageMissing',
      `system package "${name}" (for ${requirementsFile}) ${why} in ${DEBIAN_DIST_PACKAGES}: install the Debian package that provides it (usually python3-${name})`,
    );
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw missing('is not a top-level package name, so it cannot be');
  if (!existsSync(DEBIAN_DIST_PACKAGES)) throw missing('cannot be found');
  const entries = readdirSync(DEBIAN_DIST_PACKAGES);
  const modules = entries.filter((entry) => entry === name || entry === `${name}.py` || (entry.startsWith(`${name}.`) && entry.endsWith('.so')));
  if (modules.length === 0) throw missing('is not installed');
  const metadata = entries.filter((entry) => /\.(dist-info|egg-info)$/.test(entry) && metadataNames(join(DEBIAN_DIST_PACKAGES, entry)).includes(name));
  return [...modules, ...metadata].sort().map((entry) => join(DEBIAN_DIST_PACKAGES, entry));
}

/** The top-level packages a distribution's metadata directory declares (top_level.txt), or its project name. */
function metadataNames(metadataDirectory: string): string[] {
  const topLevel = join(metadataDirectory, 'top_level.txt');
  if (existsSync(topLevel)) return readFileSync(topLevel, 'utf8').split(/\s+/).filter(Boolean);
  return [basename(metadataDirectory).replace(/-[^-]*\.(dist-info|egg-info)$/, '').replace(/-/g, '_')];
}

async function createEnvironment(plan: EnvironmentPlan, onLine: ((line: string) => void) | undefined): Promise<string> {
  const started = Date.now();
  const log = onLine ?? (() => undefined);
  log(
    `creating the Python environment of ${plan.imageDirectory} from ${basename(plan.requirementsFile)} (sha256 ${plan.key.slice(0, 12)}...) in ${plan.directory}: ` +
      `${plan.requirements.length} pinned packages${plan.systemPackages.length > 0 ? `, system packages ${plan.systemPackages.join(', ')}` : ''}; later runs reuse it`,
  );
  await runLogged(plan.interpreter, ['-m', 'venv', plan.directory], log, 'VenvFailed', `${plan.interpreter} -m venv could not create ${plan.directory} (Debian: apt-get install python3-venv)`);
  const python = join(plan.directory, 'bin', 'python');
  const sitePackages = await pythonOutput(python, "import sysconfig; print(sysconfig.get_paths()['purelib'])");
  if (plan.systemEntries.length > 0) await exposeSystemPackages(plan, sitePackages);
  if (plan.requirements.length > 0) {
    await runLogged(
      python,
      ['-m', 'pip', 'install', '--no-input', '--disable-pip-version-check', '-r', plan.requirementsFile],
      log,
      'PipInstallFailed',
      `pip could not install ${plan.requirementsFile}`,
    );
  }
  await checkCompleteLock(plan, python, sitePackages);
  const seconds = (Date.now() - started) / 1000;
  log(`created the Python environment ${plan.key.slice(0, 12)} in ${seconds.toFixed(1)} s`);
  return JSON.stringify(
    { format: FORMAT_VERSION, requirementsFile: plan.requirementsFile, interpreter: plan.interpreter, interpreterVersion: plan.interpreterVersion, systemEntries: plan.systemEntries, seconds },
    null,
    2,
  );
}

/**
 * A directory of symlinks to exactly the named system packages, put on the environment's sys.path by a .pth file.
 * A .pth directory comes after site-packages, so a package the requirements install wins over Debian's.
 */
async function exposeSystemPackages(plan: EnvironmentPlan, sitePackages: string): Promise<void> {
  const links = join(plan.directory, 'system-packages');
  await mkdir(links);
  for (const entry of plan.systemEntries) await symlink(entry, join(links, basename(entry)));
  await writeFile(join(sitePackages, 'mlops-system-packages.pth'), `${links}\n`);
}

const InstalledDistributions = z.array(z.tuple([z.string(), z.string()]));

/** Every distribution pip installed must be pinned: one that is not came in as an unpinned transitive dependency. */
async function checkCompleteLock(plan: EnvironmentPlan, python: string, sitePackages: string): Promise<void> {
  const installed = InstalledDistributions.parse(
    JSON.parse(
      await pythonOutput(
        python,
        `import importlib.metadata as m, json; print(json.dumps([[d.metadata['Name'], d.version] for d in m.distributions(path=[${JSON.stringify(sitePackages)}])]))`,
      ),
    ),
  );
  const pinned = new Map(plan.requirements.map((requirement) => [requirement.normalizedName, requirement.version]));
  const unpinned = installed.filter(([name]) => !VENV_SEED.has(normalizePackageName(name)) && !pinned.has(normalizePackageName(name)));
  if (unpinned.length > 0) {
    throw new PythonEnvironmentError(
      'IncompleteLock',
      `${plan.requirementsFile} is not a complete lock: pip also installed ${unpinned.map(([name, version]) => `${name} ${version}`).join(', ')}, ` +
        `which a pinned package depends on. Pin ${unpinned.length === 1 ? 'it' : 'them'} too (${unpinned.map(([name, version]) => `${name}==${version}`).join(', ')}), ` +
        `e.g. by writing the file with \`pip freeze\` from an environment where the image's code runs`,
    );
  }
}

async function pythonOutput(python: string, code: string): Promise<string> {
  return (await promisify(execFile)(python, ['-c', code], { env: isolatedEnv() })).stdout.trim();
}

/** The machine's environment without the variables that would point an interpreter at other packages. */
function isolatedEnv(): NodeJS.ProcessEnv {
  const { PYTHONPATH, PYTHONHOME, PYTHONUSERBASE, ...env } = process.env;
  return env;
}

/** Runs a build step, passing its output lines on; a failure carries its last lines. */
function runLogged(program: string, args: string[], onLine: (line: string) => void, code: PythonEnvironmentErrorCode, failure: string): Promise<void> {
  const child = spawn(program, args, { env: isolatedEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      onLine(line);
    });
  }
  return new Promise((resolve, reject) => {
    child.on('error', (err) => tail.push(err.message));
    child.on('close', (exitCode) => (exitCode === 0 ? resolve() : reject(new PythonEnvironmentError(code, `${failure} (exit code ${exitCode})`, tail))));
  });
}
