import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { CloudAssemblyError, type CloudAssembly, type ImageAsset } from '../../assembly/cloud-assembly';
import { ensurePythonEnvironment, PythonEnvironmentError } from '../python-environments';
import { UnpinnedRequirementError } from '../python-requirements';
import { PYTHON_ENVIRONMENT } from '../python-runtime';
import { PROJECT_NODE_MODULES, TSX_IMPORT } from '../typescript-runtime';

export const LOCAL_ENTRYPOINT_LABEL = 'mlops.local-entrypoint';
/** Top-level packages of Debian's dist-packages a Python image's environment may import (space-separated). */
export const LOCAL_SYSTEM_PACKAGES_LABEL = 'mlops.local-system-packages';
/** A Python image's dependencies, beside its Dockerfile: a complete lock, every line name==version. */
export const REQUIREMENTS_FILE = 'requirements.txt';

class ContainerImageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ContainerImageError';
  }
}

/** What runs in place of a container image: its entry file inside the image's build context in cdk.out. */
export interface LocalEntrypoint {
  readonly contextDirectory: string;
  readonly entry: string;
  /** The program that runs the entry and its arguments before the entry's own. */
  readonly program: string;
  readonly programArgs: readonly string[];
  /** The runtime's variables; the container's environment may override them. */
  readonly runtimeEnv: Readonly<Record<string, string>>;
}

/** What a runtime is given: the image, its Dockerfile's text and its entry file. */
interface ImageSource {
  readonly imageUri: string;
  readonly directory: string;
  readonly dockerfileText: string;
  readonly entry: string;
  /** Progress of preparing the runtime (a Python image's environment is created on first use). */
  readonly onLine?: (line: string) => void;
}

type Runtime = Omit<LocalEntrypoint, 'contextDirectory' | 'entry'>;

/** How each kind of entry file runs; the extension decides. */
const RUNTIMES: Readonly<Record<string, (image: ImageSource) => Promise<Runtime>>> = {
  '.ts': async () => ({ program: process.execPath, programArgs: ['--import', TSX_IMPORT], runtimeEnv: { NODE_PATH: PROJECT_NODE_MODULES } }),
  '.py': pythonRuntime,
};

/**
 * A Python entry runs in the virtual environment of the image's requirements.txt, as the image would after its
 * Dockerfile's `pip install -r requirements.txt`: it sees those packages and, of the machine's, only the Debian
 * packages the Dockerfile names in LABEL mlops.local-system-packages (the documented exception for PyTorch).
 */
async function pythonRuntime(image: ImageSource): Promise<Runtime> {
  const requirementsFile = join(image.directory, REQUIREMENTS_FILE);
  if (!existsSync(requirementsFile)) {
    throw new ContainerImageError(
      `image ${image.imageUri}: its local entrypoint ${image.entry} is a Python file, and ${image.directory} has no ${REQUIREMENTS_FILE}. ` +
        `Declare the image's dependencies there, every line name==version, transitive dependencies included (as \`pip freeze\` writes them), ` +
        `and install them in the Dockerfile (COPY ${REQUIREMENTS_FILE} . then RUN pip install --no-cache-dir -r ${REQUIREMENTS_FILE}); ` +
        `the twin runs the entry in a virtual environment made from that file`,
    );
  }
  const systemPackages = (labelValue(image.dockerfileText, LOCAL_SYSTEM_PACKAGES_LABEL) ?? '').split(/[\s,]+/).filter(Boolean);
  try {
    const environment = await ensurePythonEnvironment({ requirementsFile, systemPackages, onLine: image.onLine });
    return { program: environment.python, programArgs: [], runtimeEnv: PYTHON_ENVIRONMENT };
  } catch (err) {
    if (!(err instanceof PythonEnvironmentError || err instanceof UnpinnedRequirementError)) throw err;
    throw new ContainerImageError(`image ${image.imageUri}: ${err.message}`, { cause: err });
  }
}

/**
 * Docker cannot run here, so an image asset runs as a local process: its Dockerfile names, with
 * `LABEL mlops.local-entrypoint="<context-relative file>"`, the source its ENTRYPOINT runs (a `.ts` file runs with
 * node and tsx, a `.py` file in the virtual environment of the image's requirements.txt). The twin runs that file
 * from the build context cdk synth copied into cdk.out, with the container's environment and command.
 */
export async function localEntrypoint(assembly: CloudAssembly, imageUri: string, onLine?: (line: string) => void): Promise<LocalEntrypoint> {
  const image = imageAssetOf(assembly, imageUri);
  const dockerfile = join(image.directory, image.dockerFile);
  if (!existsSync(dockerfile)) throw new ContainerImageError(`image ${imageUri}: ${dockerfile} does not exist`);
  const dockerfileText = readFileSync(dockerfile, 'utf8');
  const file = labelValue(dockerfileText, LOCAL_ENTRYPOINT_LABEL);
  const supported = Object.keys(RUNTIMES).join(' or ');
  if (!file) {
    throw new ContainerImageError(
      `image ${imageUri}: ${dockerfile} has no LABEL ${LOCAL_ENTRYPOINT_LABEL}="<entry file>" (a ${supported} file relative to the Dockerfile's directory), so the twin cannot run it as a local process`,
    );
  }
  const runtime = RUNTIMES[extname(file)];
  if (!runtime) {
    throw new ContainerImageError(
      `image ${imageUri}: LABEL ${LOCAL_ENTRYPOINT_LABEL}="${file}" in ${dockerfile}: the twin runs ${supported} entry files, not "${extname(file) || file}"`,
    );
  }
  const entry = join(image.directory, file);
  if (!existsSync(entry)) throw new ContainerImageError(`image ${imageUri}: the local entrypoint ${entry} does not exist`);
  return { contextDirectory: image.directory, entry, ...(await runtime({ imageUri, directory: image.directory, dockerfileText, entry, onLine })) };
}

/** A Dockerfile label's value (`LABEL name="value"` or `LABEL name=value`), or undefined when it has none. */
function labelValue(dockerfileText: string, label: string): string | undefined {
  const match = new RegExp(`${label.replaceAll('.', '\\.')}\\s*=\\s*(?:"([^"]*)"|(\\S+))`).exec(dockerfileText);
  return match ? (match[1] ?? match[2]) : undefined;
}

/** The image asset behind a URI, or why the twin cannot run an image that the app does not build. */
function imageAssetOf(assembly: CloudAssembly, imageUri: string): ImageAsset {
  try {
    return assembly.imageAsset(imageUri);
  } catch (err) {
    if (!(err instanceof CloudAssemblyError)) throw err;
    throw new ContainerImageError(
      `image ${imageUri} is not built by the app: the twin runs only images the app builds from a Dockerfile directory ` +
        `(an image asset in cdk.out), as a local process. Give the container a directory whose Dockerfile has ` +
        `LABEL ${LOCAL_ENTRYPOINT_LABEL}="<entry.py or entry.ts>" naming the script its ENTRYPOINT runs; ` +
        `to keep a prebuilt image in AWS, build it FROM that image in the Dockerfile`,
    );
  }
}

export interface ContainerRun {
  readonly exitCode: number;
  /** The signal that ended the process, if one did. */
  readonly signal: NodeJS.Signals | null;
  /** The last lines the process printed (stderr and stdout), for failure reasons. */
  readonly tail: string[];
}

/** Lines kept for failure reasons: enough for a deep Python traceback. */
const TAIL_LINES = 100;

/** Runs a local entrypoint to completion with the given environment and arguments. */
export function runContainer(
  entrypoint: LocalEntrypoint,
  options: {
    env: Record<string, string>;
    args?: string[];
    onLine?: (line: string) => void;
    /** Stops the container as `docker stop` does: SIGTERM, then SIGKILL after `stopGraceMs`. */
    signal?: AbortSignal;
    /** @default 10 s, Docker's default stop timeout */
    stopGraceMs?: number;
  },
): Promise<ContainerRun> {
  const child = spawn(entrypoint.program, [...entrypoint.programArgs, entrypoint.entry, ...(options.args ?? [])], {
    cwd: entrypoint.contextDirectory,
    env: { ...entrypoint.runtimeEnv, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      options.onLine?.(line);
    });
  }
  let kill: NodeJS.Timeout | undefined;
  const stop = () => {
    child.kill('SIGTERM');
    kill = setTimeout(() => child.kill('SIGKILL'), options.stopGraceMs ?? 10_000);
  };
  if (options.signal?.aborted) stop();
  else options.signal?.addEventListener('abort', stop, { once: true });
  return new Promise((resolve) => {
    child.on('error', (err) => tail.push(err.message));
    child.on('close', (code, signal) => {
      clearTimeout(kill);
      options.signal?.removeEventListener('abort', stop);
      resolve({ exitCode: code ?? 128 + (signal ? constants.signals[signal] : 0), signal, tail });
    });
  });
}
