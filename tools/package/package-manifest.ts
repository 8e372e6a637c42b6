import { z } from 'zod';
import { formatIssues } from '../../contracts/validation-issues';

/** The published package's name. */
export const PACKAGE_NAME = '@mlops-iac/constructs';
/** The team's app brings these, so that it and the constructs share one copy of each (CDK requires it). */
export const PEER_PACKAGES = ['aws-cdk-lib', 'constructs'] as const;
/** The package's entry points: the constructs, and the team-config schema alone (zod only, no aws-cdk-lib). */
export const PACKAGE_EXPORTS = {
  '.': { types: './lib/index.d.ts', default: './lib/index.js' },
  './team-config': { types: './contracts/team-config.d.ts', default: './contracts/team-config.js' },
  './package.json': './package.json',
} as const;
export const PACKAGE_DESCRIPTION =
  "AWS CDK constructs of an MLOps platform for one team's account: training pipeline, model registry with approval API and console, deployment flow, inference tier and drift monitoring; the code they deploy ships prebuilt.";
/** Node.js the package is built and tested on (the Node pinned for the repository's tests). */
export const SUPPORTED_NODE = '>=24';

const exactVersion = z.string().regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'must be an exact semver version (x.y.z)');

/** The fields of the repository's package.json the published manifest is made from. */
export const workspaceManifestSchema = z.object({
  version: exactVersion,
  license: z.string().min(1),
  repository: z.union([z.string(), z.object({ type: z.string(), url: z.string() }).passthrough()]).optional(),
  dependencies: z.record(z.string(), exactVersion),
});
export type WorkspaceManifest = z.output<typeof workspaceManifestSchema>;

/** The workspace manifest cannot make a published one (a field missing, a loaded package it does not pin). */
export class PackageManifestError extends Error {
  constructor(readonly problems: string[]) {
    super(`Cannot write the package manifest:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PackageManifestError';
  }
}

/**
 * The published package.json: `loaded` are the packages the compiled modules load (loaded-packages.ts); each is a
 * peer (aws-cdk-lib, constructs) or a dependency, with a caret range from the version the repository pins and tests.
 * Nothing of the repository's devDependencies, scripts or allowScripts goes in. `files` are the package's top-level
 * entries besides package.json and README.md, which npm always includes.
 */
export function packageManifest(workspace: unknown, loaded: ReadonlySet<string>, files: readonly string[]): Record<string, unknown> {
  const parsed = workspaceManifestSchema.safeParse(workspace);
  if (!parsed.success) throw new PackageManifestError(formatIssues(parsed.error, 'package.json'));
  const root = parsed.data;
  const unpinned = [...PEER_PACKAGES, ...loaded].filter((name) => root.dependencies[name] === undefined);
  if (unpinned.length) {
    throw new PackageManifestError(unpinned.map((name) => `package.json dependencies: the constructs load ${name}, which the repository does not pin`));
  }
  const range = (name: string): string => `^${root.dependencies[name]}`;
  const peers: readonly string[] = PEER_PACKAGES;
  const dependencies = [...loaded].filter((name) => !peers.includes(name)).sort();
  return {
    name: PACKAGE_NAME,
    version: root.version,
    description: PACKAGE_DESCRIPTION,
    license: root.license,
    ...(root.repository ? { repository: root.repository } : {}),
    keywords: ['aws-cdk', 'cdk', 'mlops', 'sagemaker', 'step-functions', 'model-registry'],
    type: 'commonjs',
    main: PACKAGE_EXPORTS['.'].default,
    types: PACKAGE_EXPORTS['.'].types,
    exports: PACKAGE_EXPORTS,
    files: [...files].sort(),
    engines: { node: SUPPORTED_NODE },
    peerDependencies: Object.fromEntries(PEER_PACKAGES.map((name) => [name, range(name)])),
    dependencies: Object.fromEntries(dependencies.map((name) => [name, range(name)])),
  };
}
