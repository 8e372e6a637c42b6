import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { CloudAssemblyError, type CloudAssembly, type ImageAsset } from '../../assembly/cloud-assembly';
import { PYTHON_DEBIAN_PACKAGES, PYTHON_ENVIRONMENT, resolvePython } from '../python-runtime';
import { PROJECT_NODE_MODULES, TSX_IMPORT } from '../typescript-runtime';

export const LOCAL_ENTRYPOINT_LABEL = 'mlops.local-entrypoint';

export class ContainerImageError extends Error {
  constructor(message: string) {
    super(message);
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

/** How each kind of entry file runs; the extension decides. */
const RUNTIMES: Readonly<Record<string, (imageUri: string, entry: string) => Omit<LocalEntrypoint, 'contextDirectory' | 'entry'>>> = {
  '.ts': () => ({ program: process.execPath, programArgs: ['--import', TSX_IMPORT], runtimeEnv: { NODE_PATH: PROJECT_NODE_MODULES } }),
  '.py': (imageUri, entry) => {
    const python = resolvePython();
    if (!python.path) {
      throw new ContainerImageError(
        `image ${imageUri}: its local entrypoint ${entry} is a Python file, and the interpreter that runs it, ${python.requested}, ` +
          `is not an executable file on this machine. Install Debian's Python and the libraries training code imports ` +
          `(apt-get install ${PYTHON_DEBIAN_PACKAGES.join(' ')}), or set MLOPS_PYTHON to the interpreter to use`,
      );
    }
    return { program: python.path, programArgs: [], runtimeEnv: PYTHON_ENVIRONMENT };
  },
};

/**
 * Docker cannot run here, so an image asset runs as a local process: its Dockerfile names, with
 * `LABEL mlops.local-entrypoint="<context-relative file>"`, the source its ENTRYPOINT runs (a `.ts` file runs with
 * node and tsx, a `.py` file with Debian's python3 or MLOPS_PYTHON). The twin runs that file from the build context
 * cdk synth copied into cdk.out, with the container's environment and command.
 */
export function localEntrypoint(assembly: CloudAssembly, imageUri: string): LocalEntrypoint {
  const image = imageAssetOf(assembly, imageUri);
  const dockerfile = join(image.directory, image.dockerFile);
  if (!existsSync(dockerfile)) throw new ContainerImageError(`image ${imageUri}: ${dockerfile} does not exist`);
  const match = new RegExp(`${LOCAL_ENTRYPOINT_LABEL.replace('.', '\\.')}\\s*=\\s*(?:"([^"]+)"|(\\S+))`).exec(
    readFileSync(dockerfile, 'utf8'),
  );
  const supported = Object.keys(RUNTIMES).join(' or ');
  if (!match) {
    throw new ContainerImageError(
      `image ${imageUri}: ${dockerfile} has no LABEL ${LOCAL_ENTRYPOINT_LABEL}="<entry file>" (a ${supported} file relative to the Dockerfile's directory), so the twin cannot run it as a local process`,
    );
  }
  const file = match[1] ?? match[2];
  const runtime = RUNTIMES[extname(file)];
  if (!runtime) {
    throw new ContainerImageError(
      `image ${imageUri}: LABEL ${LOCAL_ENTRYPOINT_LABEL}="${file}" in ${dockerfile}: the twin runs ${supported} entry files, not "${extname(file) || file}"`,
    );
  }
  const entry = join(image.directory, file);
  if (!existsSync(entry)) throw new ContainerImageError(`image ${imageUri}: the local entrypoint ${entry} does not exist`);
  return { contextDirectory: image.directory, entry, ...runtime(imageUri, entry) };
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
