import { describe, expect, it } from 'vitest';
import { PACKAGE_EXPORTS, PACKAGE_NAME, PackageManifestError, packageManifest } from '../../../tools/package/package-manifest';

const workspace = {
  name: 'mlops-iac',
  version: '1.4.2',
  private: true,
  description: 'the dev workspace',
  license: 'Apache-2.0',
  scripts: { test: 'vitest run' },
  dependencies: { 'aws-cdk-lib': '2.276.0', constructs: '10.8.1', zod: '4.6.7', 'cdk-nag': '3.0.2', tar: '7.5.23' },
  devDependencies: { esbuild: '0.25.12', typescript: '5.9.3' },
  allowScripts: { esbuild: true },
};

describe('packageManifest', () => {
  it('keeps the version, makes aws-cdk-lib and constructs peers and lists only the loaded packages, as caret ranges of the pins', () => {
    const manifest = packageManifest(workspace, new Set(['aws-cdk-lib', 'constructs', 'zod', 'cdk-nag']), ['prebuilt', 'lib', 'CHANGELOG.md']);
    expect(manifest).toMatchObject({
      name: PACKAGE_NAME,
      version: '1.4.2',
      license: 'Apache-2.0',
      exports: PACKAGE_EXPORTS,
      main: './lib/index.js',
      types: './lib/index.d.ts',
      files: ['CHANGELOG.md', 'lib', 'prebuilt'],
      peerDependencies: { 'aws-cdk-lib': '^2.276.0', constructs: '^10.8.1' },
      dependencies: { 'cdk-nag': '^3.0.2', zod: '^4.6.7' },
    });
    for (const key of ['private', 'scripts', 'devDependencies', 'allowScripts']) expect(manifest).not.toHaveProperty(key);
  });

  it('refuses a loaded package the repository does not pin, naming it', () => {
    expect(() => packageManifest(workspace, new Set(['left-pad']), [])).toThrow(PackageManifestError);
    expect(() => packageManifest(workspace, new Set(['left-pad']), [])).toThrow('the constructs load left-pad, which the repository does not pin');
  });

  it('refuses a workspace whose version or pins are not exact, naming the field', () => {
    expect(() => packageManifest({ ...workspace, version: 'next' }, new Set(), [])).toThrow('package.json.version: must be an exact semver version');
    expect(() => packageManifest({ ...workspace, dependencies: { ...workspace.dependencies, zod: '^4' } }, new Set(['zod']), [])).toThrow(
      'package.json.dependencies.zod: must be an exact semver version',
    );
  });
});
