import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * The interpreter a container's Python environment is made with (python-environments.ts): Debian's, not the first
 * `python3` on PATH, because a pyenv build may lack venv/ensurepip, and because the one exception to an image's own
 * requirements (LABEL mlops.local-system-packages="torch") comes from Debian's dist-packages, built for this interpreter.
 */
export const DEFAULT_PYTHON = '/usr/bin/python3';

/**
 * The Debian packages the twin's Python containers need: the interpreter with venv support, and python3-torch, the
 * documented exception (PyPI's torch wheels carry GPU libraries; the example team's image exposes Debian's instead).
 * What an image's code imports otherwise comes from its requirements.txt, installed from PyPI.
 */
export const PYTHON_DEBIAN_PACKAGES = ['python3', 'python3-venv', 'python3-torch'] as const;

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
