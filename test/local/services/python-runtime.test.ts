import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_PYTHON, PYTHON_DEBIAN_PACKAGES, resolvePython } from '../../../local/services/python-runtime';

describe('the interpreter of Python containers', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'python-runtime-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("is Debian's python3 unless MLOPS_PYTHON names another", () => {
    expect(resolvePython({ PATH: '/nowhere' })).toEqual({ requested: DEFAULT_PYTHON, path: '/usr/bin/python3' });
  });

  it('looks a bare MLOPS_PYTHON name up on PATH', () => {
    const bin = join(scratch, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'python3.11'), '#!/bin/sh\n', { mode: 0o755 });

    expect(resolvePython({ MLOPS_PYTHON: 'python3.11', PATH: `/nowhere:${bin}` })).toEqual({ requested: 'python3.11', path: join(bin, 'python3.11') });
  });

  it('finds nothing for a path that is missing, a directory or not executable', () => {
    writeFileSync(join(scratch, 'not-executable'), '', { mode: 0o644 });

    for (const requested of [join(scratch, 'missing'), scratch, join(scratch, 'not-executable')]) {
      expect(resolvePython({ MLOPS_PYTHON: requested }).path).toBeUndefined();
    }
  });

  it('needs only the interpreter with venv support and the PyTorch exception from Debian, and this machine has them', () => {
    const status = (name: string) => execFileSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });

    expect(PYTHON_DEBIAN_PACKAGES).toEqual(['python3', 'python3-venv', 'python3-torch']);
    for (const name of PYTHON_DEBIAN_PACKAGES) expect(status(name), name).toBe('install ok installed');
  });
});
