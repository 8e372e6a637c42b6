import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { MLOPS_FUNCTION_RUNTIME } from '../lib/private/mlops-function';

const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
  allowScripts: Record<string, boolean>;
};

/** The toolchain package.json pins: the tests, the twin and the CLI run on the Node the Lambda functions run on. */
describe('package.json toolchain', () => {
  const pinned = manifest.devDependencies.node;

  it('runs the tests on the pinned Node binary (node_modules/.bin/node), not the machine Node', () => {
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(process.version).toBe(`v${pinned}`);
  });

  it("deploys the functions on the pinned Node's major version", () => {
    const major = pinned.split('.')[0];
    expect(MLOPS_FUNCTION_RUNTIME.name).toBe(`nodejs${major}.x`);
    expect(MLOPS_FUNCTION_RUNTIME.family).toBe(lambda.RuntimeFamily.NODEJS);
  });

  it('installs on the pinned Node too: the README and CI run npm ci through npm exec -p node@<pinned>', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const ci = readFileSync(join(__dirname, '..', '.ci', 'run'), 'utf8');
    const freshMachine = readme.slice(readme.indexOf('## Fresh machine'), readme.indexOf('```', readme.indexOf('```bash', readme.indexOf('## Fresh machine')) + 3));
    expect(freshMachine.match(/^npm .*$/gm)).toEqual([
      expect.stringMatching(new RegExp(`^npm exec -y -p node@${pinned.replace(/\./g, '\\.')} -- npm ci && npm start `)),
      expect.stringMatching(new RegExp(`^npm exec -y -p node@${pinned.replace(/\./g, '\\.')} -- npm ci && npm test `)),
    ]);
    expect(ci).toContain(`npm exec --yes --package=node@${pinned} -- npm ci --no-audit --no-fund`);
  });

  it("denies onnxruntime-node's CUDA download and allows node's script, which installs the platform's binary", () => {
    expect(manifest.allowScripts).toMatchObject({ 'onnxruntime-node': false, node: true });
  });
});
