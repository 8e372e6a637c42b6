import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AssetHashType, DockerImage, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { prebuiltAssets } from './prebuilt-assets';

/** The npm package a function bundles as external because the layer provides it. */
export const ONNXRUNTIME_MODULE = 'onnxruntime-node';

/**
 * A Lambda layer with onnxruntime-node for linux-x64 (no Docker, no download): copied from the project's node_modules
 * at synth time, or prebuilt in the published package, which then needs no onnxruntime-node of its own. Only the x64
 * Linux binaries go in: the full package carries every platform (~290 MB), over Lambda's 250 MB unzipped limit. One
 * layer per stack, shared by every function that runs ONNX models.
 */
export function onnxRuntimeLayer(scope: Construct): lambda.ILayerVersion {
  const stack = Stack.of(scope);
  const id = 'OnnxRuntimeLayer';
  const existing = stack.node.tryFindChild(id) as lambda.ILayerVersion | undefined;
  if (existing) return existing;
  const { code, version } = layerCode();
  return new lambda.LayerVersion(stack, id, {
    description: `onnxruntime-node ${version} (linux-x64 CPU)`,
    compatibleRuntimes: [lambda.Runtime.NODEJS_24_X],
    compatibleArchitectures: [lambda.Architecture.X86_64],
    code,
  });
}

/** The copy is a pure function of the package version: hashing it (45 MB, from 290 MB of sources) on every synth would be slow. */
const layerHash = (version: string): string => `onnxruntime-node-${version}-linux-x64`;

function layerCode(): { code: lambda.Code; version: string } {
  const prebuilt = prebuiltAssets()?.onnxRuntimeLayer();
  if (prebuilt) {
    const code = lambda.Code.fromAsset(prebuilt.directory, { assetHashType: AssetHashType.CUSTOM, assetHash: layerHash(prebuilt.version) });
    return { code, version: prebuilt.version };
  }
  const { packageDir, version } = installedOnnxRuntime();
  const code = lambda.Code.fromAsset(packageDir, {
    assetHashType: AssetHashType.CUSTOM,
    assetHash: layerHash(version),
    bundling: {
      image: DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs24.x'),
      local: { tryBundle: (outputDir) => (copyOnnxRuntimeLayer(outputDir), true) },
    },
  });
  return { code, version };
}

/** The project's onnxruntime-node: a dependency of the repository, not of the published package. */
function installedOnnxRuntime(): { packageDir: string; version: string } {
  const packageDir = dirname(require.resolve('onnxruntime-node/package.json'));
  const version: string = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version;
  return { packageDir, version };
}

/** Writes the layer's contents (`nodejs/node_modules/onnxruntime-node` and onnxruntime-common) into `outputDir`. */
export function copyOnnxRuntimeLayer(outputDir: string): { version: string } {
  const { packageDir, version } = installedOnnxRuntime();
  // onnxruntime-common exports no ./package.json: find its directory from its entry point, as onnxruntime-node would.
  const commonDir = packageDirOf(require.resolve('onnxruntime-common', { paths: [packageDir] }));
  const modules = join(outputDir, 'nodejs', 'node_modules');
  const ort = join(modules, 'onnxruntime-node');
  mkdirSync(ort, { recursive: true });
  cpSync(join(packageDir, 'package.json'), join(ort, 'package.json'));
  cpSync(join(packageDir, 'dist'), join(ort, 'dist'), { recursive: true });
  cpSync(join(packageDir, 'bin', 'napi-v6', 'linux', 'x64'), join(ort, 'bin', 'napi-v6', 'linux', 'x64'), { recursive: true });
  cpSync(commonDir, join(modules, 'onnxruntime-common'), { recursive: true });
  return { version };
}

function packageDirOf(entry: string): string {
  let dir = dirname(entry);
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${entry}`);
    dir = parent;
  }
  return dir;
}
