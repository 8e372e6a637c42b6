import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { MlopsFunction, REPO_ROOT } from '../../../lib/private/mlops-function';

/** An entry of this test's own, under the repository root as function entries are; removed when the test ends. */
const ENTRY = 'test/lib/private/fixtures/bundled-once.generated.ts';

/** The staged bundle of the one function in an app's assembly: its files by path, with their contents. */
function stagedBundle(app: App): Record<string, string> {
  const assembly = app.synth();
  const [directory] = readdirSync(assembly.directory).filter((entry) => entry.startsWith('asset.'));
  const root = join(assembly.directory, directory);
  const files = readdirSync(root, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
  return Object.fromEntries(files.map((file) => [join(file.parentPath, file.name).slice(root.length + 1), readFileSync(join(file.parentPath, file.name), 'utf8')]));
}

describe('MlopsFunction bundling', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'bundled-once-'));
  afterAll(() => {
    rmSync(join(REPO_ROOT, ENTRY), { force: true });
    rmSync(outdir, { recursive: true, force: true });
  });

  it('bundles an entry once per process: a second App (its own asset directory) deploys the bundle built for the first', () => {
    // GIVEN two apps in one process with the same function, as one process synthesizes several teams' assemblies
    const appWith = (name: string) => {
      const app = new App({ outdir: join(outdir, name) });
      new MlopsFunction(new Stack(app, 'Functions'), 'Fn', { entry: ENTRY, description: 'bundled once', serviceName: 'test', metricsNamespace: 'MLOps/test' });
      return app;
    };
    writeFileSync(join(REPO_ROOT, ENTRY), "export const handler = async (): Promise<string> => 'first build';\n");
    const first = appWith('first');
    // WHEN the source changes in between (which never happens while a process synthesizes): only a second esbuild
    // run would see it
    writeFileSync(join(REPO_ROOT, ENTRY), "export const handler = async (): Promise<string> => 'second build';\n");
    const second = appWith('second');
    // THEN both deploy the first build, file for file
    const firstBundle = stagedBundle(first);
    expect(firstBundle['index.mjs']).toContain('first build');
    expect(stagedBundle(second)).toEqual(firstBundle);
  });

  it('has Node read source maps as modules load, unless the function maps the stacks it logs (sourceMapsAtLoad: false)', () => {
    // GIVEN a function as every function is, and one on a cold-start budget, as the inference function is
    const stack = new Stack(new App({ outdir: join(outdir, 'source-maps') }), 'Functions');
    writeFileSync(join(REPO_ROOT, ENTRY), "export const handler = async (): Promise<string> => 'source maps';\n");
    const props = { entry: ENTRY, description: 'source maps', serviceName: 'test', metricsNamespace: 'MLOps/test' };
    new MlopsFunction(stack, 'AtLoad', props);
    new MlopsFunction(stack, 'WhenLogged', { ...props, sourceMapsAtLoad: false });
    // THEN
    const variables = Object.fromEntries(
      Object.entries(Template.fromStack(stack).findResources('AWS::Lambda::Function')).map(([id, fn]) => [id.replace(/[A-F0-9]{8}$/, ''), fn.Properties.Environment.Variables]),
    );
    expect(variables.AtLoad.NODE_OPTIONS).toBe('--enable-source-maps');
    expect(variables.WhenLogged).not.toHaveProperty('NODE_OPTIONS');
  });
});
