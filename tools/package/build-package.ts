import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../lib/private/mlops-function';
import { loadedPackagesOf } from './loaded-packages';
import { PACKAGE_EXPORTS, packageManifest } from './package-manifest';
import { prebuild } from './prebuild';

/** The package's directory: `npm pack ./dist/package` makes the tarball from it. */
export const PACKAGE_DIR = join(REPO_ROOT, 'dist', 'package');
const TSCONFIG = join(__dirname, 'tsconfig.build.json');

/**
 * `npm run package`: the construct library as a publishable npm package in dist/package/ — lib/ and every module it
 * imports compiled to CommonJS with declarations, the runtime code prebuilt (prebuild.ts), and a package.json made
 * from the repository's (package-manifest.ts), whose version it keeps.
 */
function buildPackage(): void {
  const started = Date.now();
  rmSync(PACKAGE_DIR, { recursive: true, force: true });
  mkdirSync(PACKAGE_DIR, { recursive: true });
  compile();
  const compiled = readdirSync(PACKAGE_DIR);
  for (const [subpath, target] of Object.entries(PACKAGE_EXPORTS)) {
    if (typeof target === 'object') for (const file of Object.values(target)) mustExist(file, `exports["${subpath}"]`);
  }
  const manifest = prebuild(join(PACKAGE_DIR, 'prebuilt'));
  const javascript = compiled.flatMap((dir) => filesUnder(join(PACKAGE_DIR, dir))).filter((f) => f.endsWith('.js'));
  const workspace: unknown = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
  const files = [...compiled, 'prebuilt', 'CHANGELOG.md'];
  const packageJson = packageManifest(workspace, loadedPackagesOf(javascript), files);
  writeFileSync(join(PACKAGE_DIR, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
  copyFileSync(join(REPO_ROOT, 'CHANGELOG.md'), join(PACKAGE_DIR, 'CHANGELOG.md'));
  copyFileSync(join(REPO_ROOT, 'docs', 'package.md'), join(PACKAGE_DIR, 'README.md'));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `${packageJson.name}@${packageJson.version} in ${PACKAGE_DIR} (${seconds} s): ${javascript.length} modules, ` +
      `${Object.keys(manifest.functions).length} function bundles, ${Object.keys(manifest.images).length} image contexts. ` +
      `Pack it with: npm pack ./dist/package --pack-destination dist`,
  );
}

/** tsc with tools/package/tsconfig.build.json: lib/index.ts and what it imports, nothing else. */
function compile(): void {
  const tsc = require.resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', TSCONFIG], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`tsc -p ${TSCONFIG} failed (exit ${result.status ?? result.signal})`);
}

function mustExist(file: string, what: string): void {
  const path = join(PACKAGE_DIR, file);
  try {
    readFileSync(path);
  } catch {
    throw new Error(`${what} names ${file}, which the compile did not write (${path})`);
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

buildPackage();
