import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFunction, REPO_ROOT } from '../../../lib/private/mlops-function';
import { loadTeamConfig } from '../../../contracts/team-config';
import { ALL_FEATURES_TEAM } from '../../../tools/template-lint/lint-targets';
import { teamAssembly } from '../../helpers/team-assembly';

/** Packages whose code must never be in a deployed function: the CDK constructs live only at synth time. */
const SYNTH_ONLY_PACKAGES = ['aws-cdk-lib', 'constructs'];
const NODE_MODULES = join(REPO_ROOT, 'node_modules');

const sourceMapSchema = z.object({ sources: z.array(z.string()), sourceRoot: z.string().optional() });

/**
 * The files whose code is in a bundle (index.mjs and its chunks), as absolute paths: each output's source map lists
 * every input that contributed to it, relative to where the map would be in the repository (bundleFunction builds as
 * if into the repository root).
 */
function bundledFiles(bundleDirectory: string): string[] {
  const maps = readdirSync(bundleDirectory, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.mjs.map'));
  expect(maps).toContain('index.mjs.map');
  return maps.flatMap((file) => {
    const map = sourceMapSchema.parse(JSON.parse(readFileSync(join(bundleDirectory, file), 'utf8')));
    return map.sources.map((source) => resolve(REPO_ROOT, dirname(file), map.sourceRoot ?? '', source));
  });
}

/** The npm packages (`@scope/name` or `name`) a bundle contains code of. */
function bundledPackages(files: readonly string[]): Set<string> {
  const packages = new Set<string>();
  for (const file of files) {
    const inside = relative(NODE_MODULES, file);
    if (inside.startsWith('..')) continue;
    const [first, second] = inside.split(sep);
    packages.add(first.startsWith('@') ? `${first}/${second}` : first);
  }
  return packages;
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/**
 * Every MlopsFunction of the team stack as its entry and asset directory. The entry is read from the function's own
 * execution role (`Execution role of <entry>`); CDK's own handlers (BucketDeployment's Python) have no such role.
 */
function platformFunctions(assemblyDirectory: string, stackName: string): Array<{ entry: string; bundle: string }> {
  const stack = new CloudAssembly(assemblyDirectory).getStackArtifact(stackName);
  const resources = stack.template.Resources as Resources;
  return Object.values(resources).flatMap((resource) => {
    if (resource.Type !== 'AWS::Lambda::Function') return [];
    const roleId = (resource.Properties?.Role as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0];
    const description = roleId ? resources[roleId]?.Properties?.Description : undefined;
    const entry = typeof description === 'string' ? /^Execution role of (lambdas\/\S+\.ts)$/.exec(description)?.[1] : undefined;
    if (!entry) return [];
    const s3Key = (resource.Properties?.Code as { S3Key: string }).S3Key;
    return [{ entry, bundle: join(assemblyDirectory, `asset.${s3Key.replace(/\.zip$/, '')}`) }];
  });
}

// The template linters' team with every optional feature (the SageMaker mirror among them, so every platform function):
// .ci/run's linters synthesize its assembly before the tests, which then read it from the shared cache.
describe('the bundles of the team stack with every optional feature, so every platform function', () => {
  const config = loadTeamConfig(ALL_FEATURES_TEAM);
  let functions: Array<{ entry: string; bundle: string }>;

  beforeAll(async () => {
    functions = platformFunctions(await teamAssembly(config), `Mlops-${config.team}`);
  });

  it('are found: one per function, the registry, pipeline, deployment, inference and drift code', () => {
    const entries = functions.map((f) => f.entry);
    expect(entries).toEqual(
      expect.arrayContaining([
        'lambdas/registry/api.handler.ts',
        'lambdas/registry/sagemaker-mirror.handler.ts',
        'lambdas/pipeline/evaluate.handler.ts',
        'lambdas/deployment/shift-traffic.handler.ts',
        'lambdas/inference/handler.ts',
        'lambdas/drift/job.handler.ts',
      ]),
    );
    expect(functions.length).toBeGreaterThanOrEqual(19);
  });

  it('contain no aws-cdk-lib or constructs code', () => {
    const offenders = functions.flatMap(({ entry, bundle }) => {
      const files = bundledFiles(bundle);
      // The map's paths resolve to this checkout: the entry itself and some npm package are among them.
      expect(files, entry).toContain(join(REPO_ROOT, entry));
      const packages = bundledPackages(files);
      expect(packages.size, entry).toBeGreaterThan(0);
      return SYNTH_ONLY_PACKAGES.filter((name) => packages.has(name)).map((name) => `${entry} bundles ${name}`);
    });
    expect(offenders).toEqual([]);
  });
});

describe('bundledPackages', () => {
  const out = mkdtempSync(join(tmpdir(), 'bundle-probe-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('finds constructs in the bundle of an entry that imports it (bundled by bundleFunction, as deployed)', () => {
    bundleFunction('test/lib/private/fixtures/imports-constructs.ts', out, []);
    expect([...bundledPackages(bundledFiles(out))]).toEqual(['constructs']);
  });
});
