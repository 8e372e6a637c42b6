import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildConsole, bundleConsoleInto, CONSOLE_FILES } from '../../console/build';

const root = path.resolve(__dirname, '../..');

describe('buildConsole', () => {
  it('bundles the console next to index.html, with no imports left for the browser to resolve', async () => {
    const dir = await buildConsole();
    const bundle = readFileSync(path.join(dir, 'app.js'), 'utf8');
    expect(existsSync(path.join(dir, 'index.html'))).toBe(true);
    expect(readFileSync(path.join(dir, 'index.html'), 'utf8')).toContain('<script type="module" src="app.js">');
    expect(bundle).not.toMatch(/^\s*import\s/m);
    // The sign-in is in the bundle, and the API's location comes from config.json, not from the code
    expect(bundle).toContain("code_challenge_method: \"S256\"");
    expect(bundle).toContain("fetch(\"./config.json\"");
    expect(bundle).not.toMatch(/["']\/api["']/);
  });

  it('writes the deployable bundle (what ApprovalConsole deploys) without a source map', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'console-bundle-'));
    try {
      bundleConsoleInto(out);
      expect(readdirSync(out).sort()).toEqual([...CONSOLE_FILES].sort());
      expect(readFileSync(path.join(out, 'app.js'), 'utf8')).not.toContain('sourceMappingURL');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('type-checks the browser code against the DOM library', async () => {
    // The root tsconfig has no DOM types; console/tsconfig.json checks the JSDoc-typed browser code with them.
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    await expect(promisify(execFile)(process.execPath, [tsc, '-p', path.join(root, 'console')], { cwd: root })).resolves.toMatchObject({ stdout: '' });
  });
});
