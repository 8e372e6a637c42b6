import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../lib/private/mlops-function';
import { builtInImageContext, PipelineImage } from '../../../lib/private/pipeline-image';

/** The built-in images, each built from the repository root (the EKS tier's inference server among them). */
const BUILT_IN_DOCKERFILES = ['pipelines/processing/Dockerfile', 'pipelines/trainer/Dockerfile', 'lambdas/inference/Dockerfile'];

interface DockerfileBuild {
  /** What its `COPY` lines take from the build context (not from another stage), relative to the context. */
  readonly copied: string[];
  /** The entry its `npx esbuild` line bundles, and the packages that line leaves external. */
  readonly entry: string;
  readonly externals: string[];
}

function dockerfileBuild(dockerfile: string): DockerfileBuild {
  const text = readFileSync(join(REPO_ROOT, dockerfile), 'utf8').replace(/\\\n/g, ' ');
  const copied = [...text.matchAll(/^COPY\s+(.+)$/gm)]
    .map(([, args]) => args.trim().split(/\s+/))
    .filter((args) => !args.some((arg) => arg.startsWith('--from=')))
    .flatMap((args) => args.filter((arg) => !arg.startsWith('--')).slice(0, -1));
  const esbuild = /npx esbuild\s+(\S+)(.*)$/m.exec(text);
  if (!esbuild) throw new Error(`${dockerfile} has no "npx esbuild <entry>" line`);
  const externals = [...esbuild[2].matchAll(/--external:(\S+)/g)].map(([, name]) => name);
  return { copied, entry: esbuild[1], externals };
}

const under = (file: string, paths: readonly string[]) => paths.some((path) => file === path || file.startsWith(`${path}/`));

describe.each(BUILT_IN_DOCKERFILES)('the built-in image of %s', (dockerfile) => {
  const build = dockerfileBuild(dockerfile);
  const outdir = mkdtempSync(join(tmpdir(), 'image-context-'));
  let context: string;

  beforeAll(() => {
    // Staged as a synth stages it: the context CDK copies into cdk.out is what `cdk deploy` sends to docker build.
    const app = new App({ outdir });
    const stack = new Stack(app, 'Images');
    if (dockerfile.startsWith('pipelines/')) PipelineImage.builtIn(stack, 'Image', dockerfile);
    else new ecrAssets.DockerImageAsset(stack, 'Image', { directory: builtInImageContext(dockerfile), file: dockerfile });
    const assembly = app.synth();
    const manifest = JSON.parse(readFileSync(join(assembly.directory, 'Images.assets.json'), 'utf8')) as { dockerImages: Record<string, { source: { directory: string } }> };
    const [image] = Object.values(manifest.dockerImages);
    context = join(assembly.directory, image.source.directory);
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('copies every source its build compiles: the entry and everything it imports outside node_modules', () => {
    const { metafile } = buildSync({ entryPoints: [join(REPO_ROOT, build.entry)], absWorkingDir: REPO_ROOT, bundle: true, platform: 'node', write: false, metafile: true, outfile: 'image.js', external: build.externals, logLevel: 'silent' });
    const sources = Object.keys(metafile.inputs).filter((input) => !input.startsWith('node_modules/'));
    expect(sources).toContain(build.entry);
    expect(sources.filter((source) => !under(source, build.copied))).toEqual([]);
  });

  it('has a build context of only what the built-in Dockerfiles copy (.dockerignore keeps out a packaged dist/, node_modules, tests)', () => {
    for (const path of build.copied) expect(existsSync(join(context, path)), `${path} in the context`).toBe(true);
    // One .dockerignore at the repository root serves every built-in image.
    const topLevel = readdirSync(context).filter((entry) => entry !== '.dockerignore');
    const allowed = new Set(BUILT_IN_DOCKERFILES.flatMap((file) => [...dockerfileBuild(file).copied, file]).map((path) => path.split('/')[0]));
    expect(topLevel.filter((entry) => !allowed.has(entry))).toEqual([]);
  });
});
