import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// The API reference (npm run docs:api) is TypeDoc with typedoc.json; its validation is the CI check that every
// symbol exported from lib/index.ts has a doc comment and every {@link} resolves. These tests run the real TypeDoc
// with that options file: on small fixtures (each alone, with its own tsconfig) and on the library itself.
const root = path.resolve(__dirname, '../..');
const typedoc = path.join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
const fixtures = path.join(__dirname, 'fixtures', 'api-reference');

interface Run {
  readonly exitCode: number;
  readonly output: string;
}

/** Runs TypeDoc with typedoc.json (and `extra` arguments after it), writing no files; never throws on a failed run. */
async function runTypedoc(extra: readonly string[]): Promise<Run> {
  const args = [typedoc, '--options', path.join(root, 'typedoc.json'), '--emit', 'none', '--logLevel', 'Warn', ...extra];
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { cwd: root, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    return { exitCode: 0, output: stdout + stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { exitCode: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

const onFixture = (file: string) =>
  runTypedoc(['--entryPoints', path.join(fixtures, file), '--tsconfig', path.join(fixtures, 'tsconfig.json')]);

describe('API reference (typedoc.json)', () => {
  it('accepts a module whose exports and optional props are all documented', async () => {
    // GIVEN a documented const and an interface with a documented optional prop
    // WHEN TypeDoc validates it with the project's options
    const run = await onFixture('documented.ts');
    // THEN it passes without a warning
    expect(run.output).not.toMatch(/warning|error/i);
    expect(run.exitCode).toBe(0);
  });

  it('fails naming the one exported function without a doc comment', async () => {
    // GIVEN a module with a documented const and one undocumented exported function
    const run = await onFixture('undocumented-export.ts');
    // THEN the run fails, and the message names the function (and only it)
    expect(run.exitCode).not.toBe(0);
    expect(run.output).toContain('undocumentedHelper (CallSignature), defined in');
    expect(run.output).toContain('does not have any documentation');
    expect(run.output).not.toContain('replicas (Variable)');
  });

  it('fails on a {@link} to a symbol that does not exist', async () => {
    const run = await onFixture('broken-link.ts');
    expect(run.exitCode).not.toBe(0);
    expect(run.output).toContain('Failed to resolve link to "NoSuchAutoscaler"');
  });

  it('passes on the library: every symbol reachable from lib/index.ts is documented', async () => {
    // WHEN TypeDoc validates the package's public API (the whole tsconfig program: slow)
    const run = await runTypedoc([]);
    // THEN nothing is undocumented and no link is broken (the output lists each offender when this fails)
    expect(run.output).not.toMatch(/warning|error/i);
    expect(run.exitCode).toBe(0);
  });
});
