import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { CloudAssembly } from '../../assembly/cloud-assembly';
import { PROJECT_NODE_MODULES, TSX_IMPORT } from '../typescript-runtime';

export const LOCAL_ENTRYPOINT_LABEL = 'mlops.local-entrypoint';

export class ContainerImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerImageError';
  }
}

/** What runs in place of a container image: its TypeScript entry inside the image's build context in cdk.out. */
export interface LocalEntrypoint {
  readonly contextDirectory: string;
  readonly entry: string;
}

/**
 * Docker cannot run here, so an image asset runs as a local process: its Dockerfile names, with
 * `LABEL mlops.local-entrypoint="<context-relative .ts file>"`, the source its ENTRYPOINT was bundled from. The twin
 * runs that file from the build context cdk synth copied into cdk.out, with the container's environment and command.
 */
export function localEntrypoint(assembly: CloudAssembly, imageUri: string): LocalEntrypoint {
  const image = assembly.imageAsset(imageUri);
  const dockerfile = join(image.directory, image.dockerFile);
  if (!existsSync(dockerfile)) throw new ContainerImageError(`image ${imageUri}: ${dockerfile} does not exist`);
  const match = new RegExp(`${LOCAL_ENTRYPOINT_LABEL.replace('.', '\\.')}\\s*=\\s*(?:"([^"]+)"|(\\S+))`).exec(
    readFileSync(dockerfile, 'utf8'),
  );
  if (!match) {
    throw new ContainerImageError(
      `image ${imageUri}: ${image.dockerFile} has no LABEL ${LOCAL_ENTRYPOINT_LABEL}="<entry.ts>", so the twin cannot run it as a local process`,
    );
  }
  const entry = join(image.directory, match[1] ?? match[2]);
  if (!existsSync(entry)) throw new ContainerImageError(`image ${imageUri}: the local entrypoint ${entry} does not exist`);
  return { contextDirectory: image.directory, entry };
}

export interface ContainerRun {
  readonly exitCode: number;
  /** The last lines the process printed (stderr and stdout), for failure reasons. */
  readonly tail: string[];
}

/** Runs a local entrypoint to completion with the given environment and arguments. */
export function runContainer(
  entrypoint: LocalEntrypoint,
  options: { env: Record<string, string>; args?: string[]; onLine?: (line: string) => void; signal?: AbortSignal },
): Promise<ContainerRun> {
  const child = spawn(process.execPath, ['--import', TSX_IMPORT, entrypoint.entry, ...(options.args ?? [])], {
    cwd: entrypoint.contextDirectory,
    env: { NODE_PATH: PROJECT_NODE_MODULES, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    signal: options.signal,
  });
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 50) tail.shift();
      options.onLine?.(line);
    });
  }
  return new Promise((resolve) => {
    child.on('error', (err) => tail.push(err.message));
    child.on('close', (code, signal) => resolve({ exitCode: code ?? (signal ? 128 : 1), tail }));
  });
}
