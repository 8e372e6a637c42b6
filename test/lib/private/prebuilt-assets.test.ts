import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PREBUILT_MANIFEST_FILE, PrebuiltAssetError, prebuiltAssets, readPrebuiltAssets } from '../../../lib/private/prebuilt-assets';

const manifest = {
  functions: {
    'lambdas/registry/api.handler.ts': { directory: 'functions/lambdas/registry/api.handler', externals: ['onnxruntime-node'] },
  },
  onnxRuntimeLayer: { directory: 'onnxruntime-layer', version: '1.30.0' },
  console: { directory: 'console' },
  images: { 'pipelines/trainer/Dockerfile': { directory: 'images/pipelines-trainer' } },
};

function written(content: unknown): { file: string; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'prebuilt-'));
  const file = join(root, 'manifest.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return { file, root };
}

describe('prebuilt assets', () => {
  it('are absent in the repository, where the constructs build from source', () => {
    expect(prebuiltAssets()).toBeUndefined();
    expect(PREBUILT_MANIFEST_FILE).toBe(join(__dirname, '..', '..', '..', 'prebuilt', 'manifest.json'));
  });

  it('resolve every piece to an absolute path under the manifest root', () => {
    const { file, root } = written(manifest);
    const assets = readPrebuiltAssets(file, root);
    expect(assets.functionBundle('lambdas/registry/api.handler.ts', ['onnxruntime-node'])).toBe(join(root, 'functions/lambdas/registry/api.handler'));
    expect(assets.functionBundle('lambdas/registry/api.handler.ts', [])).toBe(join(root, 'functions/lambdas/registry/api.handler'));
    expect(assets.onnxRuntimeLayer()).toEqual({ directory: join(root, 'onnxruntime-layer'), version: '1.30.0' });
    expect(assets.consoleBundle()).toBe(join(root, 'console'));
    expect(assets.imageContext('pipelines/trainer/Dockerfile')).toBe(join(root, 'images/pipelines-trainer'));
  });

  it('refuse an entry or image the package did not build, and a bundle that includes a module the layer provides', () => {
    const { file, root } = written({ ...manifest, functions: { 'lambdas/x.handler.ts': { directory: 'functions/x', externals: [] } } });
    const assets = readPrebuiltAssets(file, root);
    expect(() => assets.functionBundle('lambdas/y.handler.ts', [])).toThrow(PrebuiltAssetError);
    expect(() => assets.functionBundle('lambdas/y.handler.ts', [])).toThrow('no prebuilt bundle of function entry "lambdas/y.handler.ts"');
    expect(() => assets.functionBundle('lambdas/x.handler.ts', ['onnxruntime-node'])).toThrow(
      'the bundle of "lambdas/x.handler.ts" includes onnxruntime-node, which the function takes from a layer',
    );
    expect(() => assets.imageContext('lambdas/inference/Dockerfile')).toThrow('no build context for lambdas/inference/Dockerfile');
  });

  it('reject a manifest with paths leaving prebuilt/ or a missing section, listing every problem with its field', () => {
    const { file, root } = written({ ...manifest, console: { directory: '../../etc' }, images: { 'pipelines/trainer/Dockerfile': { directory: '/abs' } }, onnxRuntimeLayer: undefined });
    let error: unknown;
    try {
      readPrebuiltAssets(file, root);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PrebuiltAssetError);
    const message = (error as Error).message;
    expect(message).toContain(`${file} is not a valid prebuilt manifest`);
    expect(message).toContain('console.directory: must be a relative path inside prebuilt/');
    expect(message).toContain('images.pipelines/trainer/Dockerfile.directory: must be a relative path inside prebuilt/');
    expect(message).toContain('onnxRuntimeLayer:');
  });

  it('reject a manifest that is not JSON, naming the file', () => {
    const { file, root } = written('{ not json');
    expect(() => readPrebuiltAssets(file, root)).toThrow(`${file}: cannot read JSON`);
  });
});
