import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import { z } from 'zod';
import { formatIssues } from '../../contracts/validation-issues';

/**
 * Where the runtime code the constructs deploy comes from. In this repository it is built from the sources at synth
 * (esbuild bundles, a copy of onnxruntime-node, the console bundle, the repository as the images' build context). In
 * the published package (`npm run package`, tools/package/) it was built once with the package, into `prebuilt/`,
 * and `prebuilt/manifest.json` says where each piece is, so a team's CDK app needs no source tree, no esbuild and
 * no onnxruntime-node. Whether that manifest exists beside the compiled constructs decides; nothing else does.
 */
const PACKAGE_ROOT = join(__dirname, '..', '..');
/** The package's directory of prebuilt runtime code; absent in the repository. */
const PREBUILT_DIR = join(PACKAGE_ROOT, 'prebuilt');
export const PREBUILT_MANIFEST_FILE = join(PREBUILT_DIR, 'manifest.json');

/** A path inside `prebuilt/`, written with forward slashes: no absolute path, no `..`. */
const insidePath = z
  .string()
  .min(1)
  .refine((p) => !isAbsolute(p) && !p.split('/').includes('..') && !p.includes('\\'), 'must be a relative path inside prebuilt/');

export const prebuiltManifestSchema = z
  .object({
    /** Function bundles by entry (as MlopsFunction is given it, e.g. `lambdas/registry/api.handler.ts`). */
    functions: z.record(
      z.string().regex(/\.ts$/),
      z
        .object({
          /** Holds index.js and index.js.map, as the source build writes them. */
          directory: insidePath,
          /** Modules left out of the bundle because a layer provides them. */
          externals: z.array(z.string().min(1)),
        })
        .strict(),
    ),
    /** The onnxruntime layer's contents (`nodejs/node_modules/...`) and the onnxruntime-node version in it. */
    onnxRuntimeLayer: z.object({ directory: insidePath, version: z.string().regex(/^\d+\.\d+\.\d+/) }).strict(),
    /** The console's deployable files (index.html, styles.css, app.js). */
    console: z.object({ directory: insidePath }).strict(),
    /** Docker build contexts of the built-in images by Dockerfile path (relative to the context, as in the repository). */
    images: z.record(z.string().regex(/Dockerfile$/), z.object({ directory: insidePath }).strict()),
  })
  .strict();
export type PrebuiltManifest = z.output<typeof prebuiltManifestSchema>;

/** The package's prebuilt code cannot serve what a construct asked for: the package was built wrong or is damaged. */
export class PrebuiltAssetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrebuiltAssetError';
  }
}

/** The runtime code shipped in the package, located through its manifest. Every path returned is absolute. */
export class PrebuiltAssets {
  constructor(
    private readonly manifest: PrebuiltManifest,
    private readonly root: string,
  ) {}

  /** The directory of an entry's bundle; the bundle must leave out at least the modules the caller's layers provide. */
  functionBundle(entry: string, externals: readonly string[]): string {
    const bundle = this.manifest.functions[entry];
    if (!bundle) throw new PrebuiltAssetError(`${PREBUILT_MANIFEST_FILE}: no prebuilt bundle of function entry "${entry}"`);
    const missing = externals.filter((module) => !bundle.externals.includes(module));
    if (missing.length) {
      throw new PrebuiltAssetError(`${PREBUILT_MANIFEST_FILE}: the bundle of "${entry}" includes ${missing.join(', ')}, which the function takes from a layer`);
    }
    return this.path(bundle.directory);
  }

  onnxRuntimeLayer(): { directory: string; version: string } {
    return { directory: this.path(this.manifest.onnxRuntimeLayer.directory), version: this.manifest.onnxRuntimeLayer.version };
  }

  consoleBundle(): string {
    return this.path(this.manifest.console.directory);
  }

  /** The build context of a built-in image; `dockerfile` is relative to it. */
  imageContext(dockerfile: string): string {
    const image = this.manifest.images[dockerfile];
    if (!image) throw new PrebuiltAssetError(`${PREBUILT_MANIFEST_FILE}: no build context for ${dockerfile}`);
    return this.path(image.directory);
  }

  private path(relative: string): string {
    return join(this.root, normalize(relative));
  }
}

let loaded: PrebuiltAssets | null | undefined;

/** The package's prebuilt assets; undefined in the repository, where the constructs build from source. Read once. */
export function prebuiltAssets(): PrebuiltAssets | undefined {
  if (loaded === undefined) loaded = existsSync(PREBUILT_MANIFEST_FILE) ? readPrebuiltAssets(PREBUILT_MANIFEST_FILE, PREBUILT_DIR) : null;
  return loaded ?? undefined;
}

/** Reads and validates a manifest; `root` is the directory its paths are relative to. */
export function readPrebuiltAssets(file: string, root: string): PrebuiltAssets {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PrebuiltAssetError(`${file}: cannot read JSON: ${(err as Error).message}`);
  }
  const result = prebuiltManifestSchema.safeParse(raw);
  if (!result.success) {
    const problems = formatIssues(result.error).map((p) => `  - ${p}`);
    throw new PrebuiltAssetError(`${file} is not a valid prebuilt manifest:\n${problems.join('\n')}`);
  }
  return new PrebuiltAssets(result.data, root);
}
