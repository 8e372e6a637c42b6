import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleFunction } from '../../lib/private/mlops-function';
import { PACKAGE_EXPORTS, PACKAGE_NAME, SUPPORTED_NODE } from '../../tools/package/package-manifest';
import { functionEntries } from '../../tools/package/prebuild';

/**
 * The package as a team gets it: `npm run package`, `npm pack`, the tarball installed from a file: path into a copy
 * of examples/team-app with a normal npm install (the registry for everything else, the npm cache first), `tsc` and
 * `cdk synth` there. The app lives outside the repository, so nothing in it can reach the source tree unnoticed; it
 * stays in the system's temporary directory between runs, so its node_modules are reused.
 */
const ROOT = join(__dirname, '..', '..');
const PACKAGE_DIR = join(ROOT, 'dist', 'package');
const WORK = join(tmpdir(), 'mlops-iac-team-app');
const APP = join(WORK, 'examples', 'team-app');
const CDK_OUT = join(APP, 'cdk.out');
const STACK = 'Mlops-logistics';
/** The pinned Node first on PATH: npm, npx and cdk run on it as they do under `npm test`. */
const ENV = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` };
/** A budget for the tarball: it holds the linux-x64 onnxruntime and the function bundles; every platform's binaries would blow it. */
const TARBALL_BUDGET_BYTES = 48 * 1024 * 1024;

const workspace = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const example = JSON.parse(readFileSync(join(ROOT, 'examples', 'team-app', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

interface Run {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number | null;
  readonly seconds: number;
}

/**
 * Runs a command to its end without blocking the worker (spawnSync would: its long steps, the install, the synth and
 * tsc, starve vitest's messages to its main process past their 60 s timeout).
 */
function run(command: string, args: string[], cwd: string): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: ENV });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ stdout, stderr, status, seconds: (Date.now() - started) / 1000 }));
  });
}

/** run, failing with the command's output unless it exits 0. */
async function runOk(command: string, args: string[], cwd: string): Promise<Run> {
  const result = await run(command, args, cwd);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} in ${cwd} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
/** A function bundle's files (index.mjs, its chunks, their maps) by path relative to its directory, with their hashes. */
const bundleFiles = (dir: string): string[] => filesUnder(dir).map((file) => `${relative(dir, file)} ${sha256(file)}`).sort();

let tarball: string;
let synth: Run;
const timings: Record<string, number> = {};

beforeAll(async () => {
  timings.package = (await runOk('npm', ['run', 'package'], ROOT)).seconds;
  mkdirSync(join(WORK, 'dist'), { recursive: true });
  for (const old of readdirSync(join(WORK, 'dist'))) rmSync(join(WORK, 'dist', old));
  const pack = await runOk('npm', ['pack', PACKAGE_DIR, '--pack-destination', join(WORK, 'dist')], ROOT);
  timings.pack = pack.seconds;
  tarball = join(WORK, 'dist', pack.stdout.trim().split('\n').at(-1)!);

  // The example as committed (its file: path reaches ../../dist), over the previous run's node_modules; the installed
  // package and the lock go, so npm installs this tarball rather than trusting the last one.
  for (const entry of readdirSync(join(ROOT, 'examples', 'team-app'))) cpSync(join(ROOT, 'examples', 'team-app', entry), join(APP, entry), { recursive: true });
  // A .txt in the repository: it imports the package, which only the installed app resolves (the root tsc would fail on it).
  cpSync(join(__dirname, 'fixtures', 'typed-props-check.ts.txt'), join(APP, 'typed-props-check.ts'));
  rmSync(join(APP, 'node_modules', ...PACKAGE_NAME.split('/')), { recursive: true, force: true });
  rmSync(join(APP, 'package-lock.json'), { force: true });
  rmSync(CDK_OUT, { recursive: true, force: true });
  timings.install = (await runOk('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], APP)).seconds;
  synth = await runOk(join(APP, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet'], APP);
  timings.synth = synth.seconds;
  console.log(`npm run package ${timings.package} s, npm pack ${timings.pack} s, npm install ${timings.install} s, cdk synth ${timings.synth} s`);
}, 900_000);

describe('the packed package', () => {
  const manifest = () => JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as Record<string, unknown> & {
    dependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
    files: string[];
  };

  it('is the repository version under its own name, with the exports map and Node 24', () => {
    const pkg = manifest();
    expect(pkg).toMatchObject({ name: PACKAGE_NAME, version: workspace.version, license: 'Apache-2.0', type: 'commonjs', engines: { node: SUPPORTED_NODE } });
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.exports).toEqual(PACKAGE_EXPORTS);
    expect(example.dependencies[PACKAGE_NAME]).toBe(`file:../../dist/${relative(join(WORK, 'dist'), tarball)}`);
  });

  it('takes aws-cdk-lib and constructs from the app (peers, ranges from the pinned versions) and leaks no development package', () => {
    const pkg = manifest();
    expect(pkg.peerDependencies).toEqual({ 'aws-cdk-lib': `^${workspace.dependencies['aws-cdk-lib']}`, constructs: `^${workspace.dependencies.constructs}` });
    for (const key of ['devDependencies', 'scripts', 'allowScripts', 'private', 'bin', 'overrides']) expect(pkg).not.toHaveProperty(key);
    const dependencies = Object.keys(pkg.dependencies);
    expect(dependencies).toEqual(expect.arrayContaining(['zod', 'cdk-nag']));
    for (const name of dependencies) {
      expect(workspace.devDependencies).not.toHaveProperty(name);
      expect(pkg.dependencies[name]).toBe(`^${workspace.dependencies[name]}`);
    }
    // The constructs load no AWS SDK, no bundler and no onnxruntime-node: the deployed code is prebuilt.
    expect(dependencies.filter((name) => name.startsWith('@aws-sdk/') || ['esbuild', 'onnxruntime-node', 'aws-cdk-lib', 'constructs'].includes(name))).toEqual([]);
  });

  it('ships every prebuilt asset in the tarball, within its size budget', async () => {
    const listing = (await runOk('tar', ['-tzf', tarball], WORK)).stdout.split('\n');
    const prebuilt = JSON.parse(readFileSync(join(PACKAGE_DIR, 'prebuilt', 'manifest.json'), 'utf8')) as {
      functions: Record<string, { directory: string }>;
      onnxRuntimeLayer: { directory: string };
      console: { directory: string };
      images: Record<string, { directory: string }>;
    };
    const expected = [
      'package/package.json',
      'package/README.md',
      'package/CHANGELOG.md',
      'package/lib/index.js',
      'package/lib/index.d.ts',
      'package/contracts/team-config.js',
      'package/contracts/team-config.d.ts',
      'package/prebuilt/manifest.json',
      ...Object.values(prebuilt.functions).flatMap(({ directory }) => [`package/prebuilt/${directory}/index.mjs`, `package/prebuilt/${directory}/index.mjs.map`]),
      `package/prebuilt/${prebuilt.onnxRuntimeLayer.directory}/nodejs/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node`,
      ...['index.html', 'styles.css', 'app.js'].map((file) => `package/prebuilt/${prebuilt.console.directory}/${file}`),
      ...Object.entries(prebuilt.images).map(([dockerfile, { directory }]) => `package/prebuilt/${directory}/${dockerfile}`),
    ];
    expect(listing).toEqual(expect.arrayContaining(expected));
    expect(Object.keys(prebuilt.functions).sort()).toEqual(functionEntries().sort());
    expect(Object.keys(prebuilt.images).sort()).toEqual(['lambdas/inference/Dockerfile', 'pipelines/processing/Dockerfile', 'pipelines/trainer/Dockerfile']);
    // No TypeScript source outside the images' build contexts, no test, no node_modules but the layer's.
    const stray = listing.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts') && !f.startsWith('package/prebuilt/images/'));
    expect(stray).toEqual([]);
    expect(listing.filter((f) => f.includes('/node_modules/') && !f.startsWith(`package/prebuilt/${prebuilt.onnxRuntimeLayer.directory}/`))).toEqual([]);
    const size = statSync(tarball).size;
    console.log(`${relative(WORK, tarball)}: ${(size / 1024 / 1024).toFixed(1)} MiB, ${listing.filter(Boolean).length} files`);
    expect(size).toBeLessThan(TARBALL_BUDGET_BYTES);
  });
});

describe('examples/team-app on the installed tarball', () => {
  const template = () => Template.fromJSON(JSON.parse(readFileSync(join(CDK_OUT, `${STACK}.template.json`), 'utf8')));

  it("synthesizes the logistics team's stack: its pipelines, functions, registry table and the regression gate", () => {
    const stack = template();
    // The training pipeline, the deployment flow, batch scoring and the drift run.
    stack.resourceCountIs('AWS::StepFunctions::StateMachine', 4);
    stack.resourceCountIs('AWS::DynamoDB::Table', 1);
    stack.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: Match.anyValue() }) } });
    stack.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ MODEL_NAME: 'delivery-minutes' }) } });
    stack.hasResourceProperties('AWS::Lambda::LayerVersion', { Description: Match.stringLikeRegexp('^onnxruntime-node \\d+\\.\\d+\\.\\d+ \\(linux-x64 CPU\\)$') });
    const [job] = Object.values(stack.findResources('AWS::Batch::JobDefinition')) as { Properties: { ContainerProperties: { Environment: { Name: string; Value: string }[] } } }[];
    const teamConfig = job.Properties.ContainerProperties.Environment.find((variable) => variable.Name === 'TEAM_CONFIG');
    expect(JSON.parse(teamConfig!.Value)).toMatchObject({ team: 'logistics', model: { task: 'regression' }, evaluation: { primaryMetric: 'mae', threshold: 6 } });
  });

  it('deploys the prebuilt bundles byte for byte: nothing was bundled at synth', () => {
    const assembly = JSON.parse(readFileSync(join(CDK_OUT, `${STACK}.assets.json`), 'utf8')) as { files: Record<string, { source: { path: string } }> };
    const functions = template().findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: Match.anyValue() }) } } });
    const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, 'prebuilt', 'manifest.json'), 'utf8')) as { functions: Record<string, { directory: string }> };
    const prebuiltBundles = new Set(Object.values(manifest.functions).map(({ directory }) => bundleFiles(join(PACKAGE_DIR, 'prebuilt', directory)).join('\n')));
    const deployed = Object.values(functions).map((fn) => {
      const key = (fn as { Properties: { Code: { S3Key: string } } }).Properties.Code.S3Key;
      const asset = assembly.files[key.replace(/\.zip$/, '')];
      expect(asset, `asset of ${key}`).toBeDefined();
      const dir = join(CDK_OUT, asset.source.path);
      const files = bundleFiles(dir).map((line) => line.split(' ')[0]);
      expect(files).toEqual(expect.arrayContaining(['index.mjs', 'index.mjs.map']));
      expect(files.filter((file) => !/^(index|chunks\/[\w-]+)\.mjs(\.map)?$/.test(file))).toEqual([]);
      return bundleFiles(dir).join('\n');
    });
    expect(deployed.length).toBeGreaterThanOrEqual(15);
    expect(deployed.filter((hash) => !prebuiltBundles.has(hash))).toEqual([]);
    expect(readdirSync(CDK_OUT).filter((entry) => entry.startsWith('bundling-temp-'))).toEqual([]);
  });

  it('prebuilt a bundle identical to the one a synth in the repository deploys (one bundling code path)', () => {
    const entry = 'lambdas/registry/api.handler.ts';
    const fromSource = mkdtempSync(join(tmpdir(), 'source-bundle-'));
    bundleFunction(entry, fromSource, []);
    expect(bundleFiles(fromSource)).toEqual(bundleFiles(join(PACKAGE_DIR, 'prebuilt', 'functions', 'lambdas', 'registry', 'api.handler')));
    rmSync(fromSource, { recursive: true });
  });

  it('needs no source tree: no path in the cloud assembly points into the repository', () => {
    const offending = filesUnder(CDK_OUT).filter((file) => readFileSync(file, 'latin1').includes(ROOT));
    expect(offending).toEqual([]);
    expect(existsSync(join(APP, 'node_modules', 'onnxruntime-node'))).toBe(false);
  });

  it("copies the built-in images' prebuilt build contexts into the assembly for cdk deploy to build", () => {
    const assembly = JSON.parse(readFileSync(join(CDK_OUT, `${STACK}.assets.json`), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string; dockerFile: string } }>;
    };
    const images = Object.values(assembly.dockerImages).map(({ source }) => source);
    expect(images.map((image) => image.dockerFile).sort()).toEqual(['pipelines/processing/Dockerfile', 'pipelines/trainer/Dockerfile']);
    for (const image of images) {
      expect(existsSync(join(CDK_OUT, image.directory, image.dockerFile))).toBe(true);
      expect(readdirSync(join(CDK_OUT, image.directory)).sort()).not.toContain('node_modules');
    }
  });

  it('passes cdk-nag (AwsSolutions and Serverless packs, as the app adds them) with no finding', () => {
    const output = synth.stdout + synth.stderr;
    expect(output).not.toMatch(/Validation Report|AwsSolutions-|Serverless-/);
  });

  it('type-checks the typed props: a wrong task, feature type, section or an unparsed config fails tsc', async () => {
    // tsc checks bin/app.ts and typed-props-check.ts (fixtures/typed-props-check.ts.txt), whose every @ts-expect-error needs an error to pass.
    const tsc = await run(join(APP, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', '.'], APP);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('reads a JSON team config with the team-config entry point alone, without loading aws-cdk-lib', async () => {
    const config = { team: 'json-way', model: { name: 'json-model', task: 'regression', label: 'y', features: [{ name: 'a', type: 'numeric' }] }, training: { datasetUri: 'd/' }, evaluation: { primaryMetric: 'mae', threshold: 1 } };
    writeFileSync(join(APP, 'team.json'), JSON.stringify(config));
    writeFileSync(join(APP, 'broken.json'), '{ "team": ');
    const script = `const t = require('${PACKAGE_NAME}/team-config');
      const c = t.loadTeamConfig('team.json');
      const errorOf = (f) => { try { f(); } catch (e) { return e.name + ': ' + e.message.split('\\n')[0]; } };
      console.log(JSON.stringify({
        algorithm: c.training.algorithm,
        schema: errorOf(() => t.parseTeamConfig({ team: 'json-way' }, 'teams/json-way')),
        json: errorOf(() => t.loadTeamConfig('broken.json')),
        cdk: Object.keys(require.cache).some((k) => k.includes('aws-cdk-lib')),
      }));`;
    const out = JSON.parse((await runOk(process.execPath, ['-e', script], APP)).stdout) as Record<string, unknown>;
    expect(out).toEqual({
      algorithm: 'gradient-boosting',
      schema: 'TeamConfigError: Invalid team config teams/json-way:',
      json: 'TeamConfigError: Invalid team config broken.json:',
      cdk: false,
    });
    const root = (await runOk(process.execPath, ['-e', `console.log(typeof require('${PACKAGE_NAME}').loadTeamConfig)`], APP)).stdout.trim();
    expect(root).toBe('function');
  });

  it("resolves a team's own container directory from the app's directory, where cdk runs it", async () => {
    const pipelineImage = join(APP, 'node_modules', ...PACKAGE_NAME.split('/'), 'lib', 'private', 'pipeline-image.js');
    const resolved = (await runOk(process.execPath, ['-e', `console.log(require(${JSON.stringify(pipelineImage)}).containerDirectory('trainer'))`], APP)).stdout.trim();
    expect(resolved).toBe(join(APP, 'trainer'));
  });

  it("has the repository's feature flags in cdk.json", () => {
    const flags = (dir: string) => Object.entries((JSON.parse(readFileSync(join(dir, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context).filter(([key]) => key.startsWith('@aws-cdk'));
    expect(flags(APP)).toEqual(flags(ROOT));
  });
});
