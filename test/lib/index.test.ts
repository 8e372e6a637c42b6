import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as lib from '../../lib';

const LIB = join(__dirname, '..', '..', 'lib');
/** Every public module of the library: lib/ and lib/monitoring/, not lib/private/ and not the index files. */
const publicModules = ['.', 'monitoring'].flatMap((dir) =>
  readdirSync(join(LIB, dir))
    .filter((file) => file.endsWith('.ts') && file !== 'index.ts')
    .map((file) => join(dir, file.replace(/\.ts$/, ''))),
);

describe('lib/index.ts', () => {
  it.each(publicModules)('re-exports every export of lib/%s', async (module) => {
    // GIVEN the module's own exports WHEN read from the package index THEN each is the same value
    const exports = (await import(join(LIB, module))) as Record<string, unknown>;
    const missing = Object.keys(exports).filter((name) => (lib as Record<string, unknown>)[name] !== exports[name]);
    expect(missing).toEqual([]);
  });

  it('keeps lib/private out of the public surface', () => {
    expect(Object.keys(lib)).not.toContain('throwOnPropProblems');
    expect(Object.keys(lib)).not.toContain('MlopsFunction');
  });
});
