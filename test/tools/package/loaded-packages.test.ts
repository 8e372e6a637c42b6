import { describe, expect, it } from 'vitest';
import { loadedPackages, packageName } from '../../../tools/package/loaded-packages';

describe('loadedPackages', () => {
  it('counts the module-scope requires that compiled imports become, by package', () => {
    const code = [
      '"use strict";',
      'const aws_cdk_lib_1 = require("aws-cdk-lib");',
      'const iam = __importStar(require("aws-cdk-lib/aws-iam"));',
      'const kubectl = require("@aws-cdk/lambda-layer-kubectl-v34");',
      'const flatten = require("cdk-nag/lib/utils/flatten-cfn-reference");',
    ].join('\n');
    expect([...loadedPackages(code)].sort()).toEqual(['@aws-cdk/lambda-layer-kubectl-v34', 'aws-cdk-lib', 'cdk-nag']);
  });

  it('leaves out requires inside functions (loaded only when called), relative modules and Node built-ins', () => {
    const code = [
      'const fs = require("node:fs");',
      'const path = require("path");',
      'const own = require("./prebuilt-assets");',
      'function bundle() { const { buildSync } = require("esbuild"); return buildSync; }',
      'const resolve = () => require.resolve("onnxruntime-node/package.json");',
      'class Layer { copy() { return require("onnxruntime-common"); } }',
    ].join('\n');
    expect([...loadedPackages(code)]).toEqual([]);
  });
});

describe('packageName', () => {
  it.each([
    ['zod', 'zod'],
    ['aws-cdk-lib/aws-s3', 'aws-cdk-lib'],
    ['@aws-sdk/client-s3', '@aws-sdk/client-s3'],
    ['@scope/pkg/deep/file', '@scope/pkg'],
    ['node:fs', undefined],
    ['crypto', undefined],
    ['../contracts/team-config', undefined],
  ])('%s -> %s', (specifier, name) => {
    expect(packageName(specifier)).toBe(name);
  });
});
