import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bundleConsoleInto } from '../../console/build';
import { bundleFunction, REPO_ROOT } from '../../lib/private/mlops-function';
import { copyOnnxRuntimeLayer, ONNXRUNTIME_MODULE } from '../../lib/private/onnxruntime-layer';
import { type PrebuiltManifest, prebuiltManifestSchema } from '../../lib/private/prebuilt-assets';
import { dockerfileCopySourcesOf } from './dockerfile-copies';

/** Where the runtime code lives in the repository: function entries and the built-in images' Dockerfiles. */
const RUNTIME_SOURCE_DIRS = ['lambdas', 'pipelines'];

/** Files under the runtime source folders, relative to the repository root, whose base name `matches`. */
function runtimeFiles(matches: (name: string) => boolean): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(REPO_ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (matches(entry.name)) found.push(path);
    }
  };
  RUNTIME_SOURCE_DIRS.forEach(walk);
  return found.sort();
}

/** Every Lambda entry: `handler.ts` or `<name>.handler.ts` (the entries MlopsFunction is given). */
export const functionEntries = (): string[] => runtimeFiles((name) => name === 'handler.ts' || name.endsWith('.handler.ts'));
/** Every built-in image's Dockerfile (a team's own images are built from its app, not shipped). */
export const builtInDockerfiles = (): string[] => runtimeFiles((name) => name === 'Dockerfile');

/**
 * Builds the runtime code the constructs deploy into `prebuiltDir` with the same functions the source build calls at
 * synth, and returns the manifest that points the constructs at it. Every bundle leaves out onnxruntime-node (the
 * layer's module): for an entry that does not import it, that changes nothing in the output.
 */
export function prebuild(prebuiltDir: string): PrebuiltManifest {
  const functions: PrebuiltManifest['functions'] = {};
  for (const entry of functionEntries()) {
    const directory = `functions/${entry.replace(/\.ts$/, '')}`;
    bundleFunction(entry, join(prebuiltDir, directory), [ONNXRUNTIME_MODULE]);
    functions[entry] = { directory, externals: [ONNXRUNTIME_MODULE] };
  }
  const { version } = copyOnnxRuntimeLayer(join(prebuiltDir, 'onnxruntime-layer'));
  bundleConsoleInto(join(prebuiltDir, 'console'));
  const images: PrebuiltManifest['images'] = {};
  for (const dockerfile of builtInDockerfiles()) {
    const directory = `images/${dirname(dockerfile).replaceAll('/', '-')}`;
    copyBuildContext(dockerfile, join(prebuiltDir, directory));
    images[dockerfile] = { directory };
  }
  const manifest = prebuiltManifestSchema.parse({
    functions,
    onnxRuntimeLayer: { directory: 'onnxruntime-layer', version },
    console: { directory: 'console' },
    images,
  });
  writeFileSync(join(prebuiltDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The Dockerfile and exactly the files its COPY instructions read, at their paths in the repository. */
function copyBuildContext(dockerfile: string, contextDir: string): void {
  for (const source of [dockerfile, ...dockerfileCopySourcesOf(join(REPO_ROOT, dockerfile))]) {
    const from = join(REPO_ROOT, source);
    if (!existsSync(from)) throw new Error(`${dockerfile} copies ${source}, which does not exist (${from})`);
    const to = join(contextDir, source);
    mkdirSync(dirname(to), { recursive: true });
    cpSync(from, to, { recursive: true });
  }
}
