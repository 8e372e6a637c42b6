import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * The interpreter that runs a container's `.py` entry. Debian's, not the first `python3` on PATH: the Debian
 * packages a team's training code imports (python3-torch, python3-sklearn, python3-onnx, python3-numpy) are
 * installed for it, and a pyenv or virtualenv python3 earlier on PATH would not see them.
 */
export const DEFAULT_PYTHON = '/usr/bin/python3';

/** The Debian packages that bring the interpreter and the libraries training code usually imports. */
export const PYTHON_DEBIAN_PACKAGES = ['python3', 'python3-numpy', 'python3-torch', 'python3-sklearn', 'python3-onnx'] as const;

/**
 * Variables every Python container gets: unbuffered output, so progress lines and a traceback reach the job's log
 * as they are printed (a pipe would otherwise hold them until the process ends); and no .pyc files, because the
 * entry runs from the image's build context in cdk.out, which stays as synth wrote it.
 */
export const PYTHON_ENVIRONMENT = { PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' } as const;

/** MLOPS_PYTHON (a path, or a name looked up on PATH) or Debian's python3; undefined when it is not an executable file. */
export function resolvePython(env: NodeJS.ProcessEnv = process.env): { requested: string; path: string | undefined } {
  const requested = env.MLOPS_PYTHON || DEFAULT_PYTHON;
  const candidates = isAbsolute(requested) || requested.includes('/') ? [requested] : (env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, requested));
  return { requested, path: candidates.find(isExecutable) };
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
