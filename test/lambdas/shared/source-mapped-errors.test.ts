import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceMappedStack, withSourceMappedStack } from '../../../lambdas/shared/source-mapped-errors';
import { bundleFunction, REPO_ROOT } from '../../../lib/private/mlops-function';

const FIXTURE = 'test/lambdas/shared/fixtures/throwing-step.ts';
// Under node_modules/.cache, as the other bundle tests: the bundle's maps name their sources relative to it.
const dir = join(REPO_ROOT, 'node_modules', '.cache', 'mlops-test', `source-mapped-errors-${process.pid}`);
let thrown: Error;

beforeAll(() => {
  // The fixture bundled as a function is, minified with its source maps beside it, and run by a Node that reads no
  // source maps (the test runner's does), as the inference function runs.
  bundleFunction(FIXTURE, dir, []);
  const run = `import(${JSON.stringify(join(dir, 'index.mjs'))}).then(({ handler }) => {
    try { handler('abc'); } catch (error) { console.log(JSON.stringify({ stack: error.stack, cause: error.cause.stack })); }
  });`;
  const { NODE_OPTIONS: _, ...env } = process.env;
  const stacks = JSON.parse(execFileSync(process.execPath, ['--eval', run], { env, encoding: 'utf8' })) as { stack: string; cause: string };
  const cause = Object.assign(new TypeError('input abc is not a number'), { stack: stacks.cause });
  thrown = Object.assign(new Error('the step failed', { cause }), { stack: stacks.stack });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const source = join(dir, FIXTURE);

describe('sourceMappedStack', () => {
  it("locates a bundle's frames in the TypeScript source, as --enable-source-maps would, and leaves the others", () => {
    // The raw stack points into the minified bundle (Node loaded no source map).
    expect(thrown.stack).toContain(join(dir, 'index.mjs'));
    const lines = sourceMappedStack(thrown.stack!).split('\n');
    expect(lines[0]).toBe('Error: the step failed');
    // The throw in run(), then the handler's call of it.
    expect(lines[1]).toMatch(new RegExp(`^ {4}at \\w+\\.run \\(${source}:5:11\\)$`));
    expect(lines[2]).toMatch(new RegExp(`^ {4}at handler \\(${source}:9:\\d+\\)$`));
    // The frames of the script that ran it have no map beside them: as they were.
    expect(lines.slice(3)).toEqual(thrown.stack!.split('\n').slice(3));
    expect(lines.length).toBeGreaterThan(3);
  });

  it('maps frames of plain paths and file URLs, with or without a function name, and keeps any other line', () => {
    const bundle = join(dir, 'index.mjs');
    const raw = thrown.stack!.split('\n')[1];
    const [, line, column] = /:(\d+):(\d+)\)$/.exec(raw)!;
    const stack = ['Error: x', `    at ${bundle}:${line}:${column}`, `    at async run (file://${bundle}:${line}:${column})`, '    at node:internal/process/task_queues:105:5', 'not a frame'].join('\n');
    expect(sourceMappedStack(stack).split('\n')).toEqual([
      'Error: x',
      `    at ${source}:5:11`,
      `    at async run (${source}:5:11)`,
      '    at node:internal/process/task_queues:105:5',
      'not a frame',
    ]);
  });
});

describe('withSourceMappedStack', () => {
  it("copies an error with its stack and its cause's mapped, leaving the error as it was", () => {
    const rawStack = thrown.stack;
    const copy = withSourceMappedStack(thrown);
    expect(copy).toBeInstanceOf(Error);
    expect([copy.name, copy.message]).toEqual(['Error', 'the step failed']);
    expect(copy.stack).toContain(`${source}:5:11`);
    const cause = copy.cause as Error;
    expect(cause).toBeInstanceOf(TypeError);
    expect(cause.message).toBe('input abc is not a number');
    expect(cause.stack).toContain(`${source}:4:19`);
    expect(thrown.stack).toBe(rawStack);
    expect((thrown.cause as Error).stack).toContain(join(dir, 'index.mjs'));
  });

  it("keeps a typed error's class, name and own fields", () => {
    class StepError extends Error {
      constructor(
        message: string,
        readonly code: string,
      ) {
        super(message);
        this.name = 'StepError';
      }
    }
    const copy = withSourceMappedStack(new StepError('typed', 'E_STEP'));
    expect(copy).toBeInstanceOf(StepError);
    expect({ name: copy.name, message: copy.message, code: (copy as StepError).code }).toEqual({ name: 'StepError', message: 'typed', code: 'E_STEP' });
    expect('cause' in copy).toBe(false);
  });
});
