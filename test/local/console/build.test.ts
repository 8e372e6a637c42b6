import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildConsole } from '../../../local/console/build';

const root = path.resolve(__dirname, '../../..');

describe('buildConsole', () => {
  it('bundles the console next to index.html, with no imports left for the browser to resolve', async () => {
    const dir = await buildConsole();
    const bundle = readFileSync(path.join(dir, 'app.js'), 'utf8');
    expect(existsSync(path.join(dir, 'index.html'))).toBe(true);
    expect(readFileSync(path.join(dir, 'index.html'), 'utf8')).toContain('<script type="module" src="app.js">');
    expect(bundle).not.toMatch(/^\s*import\s/m);
    expect(bundle).toContain("API_PREFIX = \"/api\"");
  });

  it('type-checks the browser code against the DOM library', async () => {
    // The root tsconfig has no DOM types; local/console/tsconfig.json checks the JSDoc-typed browser code with them.
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    await expect(promisify(execFile)(process.execPath, [tsc, '-p', path.join(root, 'local', 'console')], { cwd: root })).resolves.toMatchObject({ stdout: '' });
  });
});
