import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AssetHashType, DockerImage, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

const ORT_PACKAGE_DIR = dirname(require.resolve('onnxruntime-node/package.json'));
/** onnxruntime-common exports no ./package.json: find its directory from its entry point, as onnxruntime-node would. */
const ORT_COMMON_DIR = packageDir(require.resolve('onnxruntime-common', { paths: [ORT_PACKAGE_DIR] }));
const ORT_VERSION: string = JSON.parse(readFileSync(join(ORT_PACKAGE_DIR, 'package.json'), 'utf8')).version;

/** The npm package a function bundles as external because the layer provides it. */
export const ONNXRUNTIME_MODULE = 'onnxruntime-node';

/**
 * A Lambda layer with onnxruntime-node for linux-x64, copied from the project's node_modules at synth time
 * (no Docker, no download). Only the x64 Linux binaries go in: the full package carries every platform (~290 MB),
 * over Lambda's 250 MB unzipped limit. One layer per stack, shared by every function that runs ONNX models.
 */
export function onnxRuntimeLayer(scope: Construct): lambda.ILayerVersion {
  const stack = Stack.of(scope);
  const id = 'OnnxRuntimeLayer';
  const existing = stack.node.tryFindChild(id) as lambda.ILayerVersion | undefined;
  if (existing) return existing;
  return new lambda.LayerVersion(stack, id, {
    description: `onnxruntime-node ${ORT_VERSION} (linux-x64 CPU)`,
    compatibleRuntimes: [lambda.Runtime.NODEJS_24_X],
    compatibleArchitectures: [lambda.Architecture.X86_64],
    code: lambda.Code.fromAsset(ORT_PACKAGE_DIR, {
      // The copy is a pure function of the package version: hashing 290 MB on every synth would be slow.
      assetHashType: AssetHashType.CUSTOM,
      assetHash: `onnxruntime-node-${ORT_VERSION}-linux-x64`,
      bundling: {
        image: DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs24.x'),
        local: { tryBundle: (outputDir) => (copyRuntime(outputDir), true) },
      },
    }),
  });
}

function copyRuntime(outputDir: string): void {
  const modules = join(outputDir, 'nodejs', 'node_modules');
  const ort = join(modules, 'onnxruntime-node');
  mkdirSync(ort, { recursive: true });
  cpSync(join(ORT_PACKAGE_DIR, 'package.json'), join(ort, 'package.json'));
  cpSync(join(ORT_PACKAGE_DIR, 'dist'), join(ort, 'dist'), { recursive: true });
  cpSync(join(ORT_PACKAGE_DIR, 'bin', 'napi-v6', 'linux', 'x64'), join(ort, 'bin', 'napi-v6', 'linux', 'x64'), {
    recursive: true,
  });
  cpSync(ORT_COMMON_DIR, join(modules, 'onnxruntime-common'), { recursive: true });
}

function packageDir(entry: string): string {
  let dir = dirname(entry);
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${entry}`);
    dir = parent;
  }
  return dir;
}
