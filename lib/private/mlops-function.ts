import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { AssetHashType, Duration, ILocalBundling, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type * as esbuild from 'esbuild';
import { encryptedLogGroup } from './log-encryption';
import { acknowledge } from './nag';
import { ONNXRUNTIME_MODULE, onnxRuntimeLayer } from './onnxruntime-layer';
import { prebuiltAssets } from './prebuilt-assets';

/** The Node.js runtime of every platform function: the major version of the Node the tests and the twin run on. */
export const MLOPS_FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * Repository root: function entries are given relative to it (e.g. `lambdas/registry/api.handler.ts`). In the
 * published package this is the package's directory, which holds no sources: its bundles are prebuilt.
 */
export const REPO_ROOT = join(__dirname, '..', '..');

export interface MlopsFunctionProps {
  /** Entry file relative to the repository root. */
  readonly entry: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /** Service name for Powertools logs and metrics. */
  readonly serviceName: string;
  /** CloudWatch namespace for the function's EMF metrics. */
  readonly metricsNamespace: string;
  readonly environment?: Record<string, string>;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /**
   * The function runs ONNX models: onnxruntime-node comes from the shared layer instead of the bundle.
   * @default false
   */
  readonly usesOnnxRuntime?: boolean;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Whether Node reads each module's source map as it loads it (`NODE_OPTIONS=--enable-source-maps`), so that every
   * stack trace names the TypeScript sources. That is a share of a cold start's module load (bench/cold-start.ts); a
   * function on a cold-start budget passes false and maps the stacks it logs when it logs them
   * (lambdas/shared/source-mapped-errors.ts).
   * @default true
   */
  readonly sourceMapsAtLoad?: boolean;
  /**
   * Queue for events of asynchronous invocations that failed every retry.
   * @default - none (synchronously invoked functions return errors to their caller)
   */
  readonly deadLetterQueue?: sqs.IQueue;
}

/**
 * A Node.js 24 function bundled by the local esbuild from a TypeScript entry, with the platform's defaults:
 * JSON structured logs in a retained log group, active tracing, source maps, Powertools environment, and
 * onnxruntime-node from a layer when the function needs it. The local twin runs exactly this bundle.
 */
export class MlopsFunction extends lambda.Function {
  constructor(scope: Construct, id: string, props: MlopsFunctionProps) {
    const logGroup = encryptedLogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role instead of AWSLambdaBasicExecutionRole: log writes only to this function's log group.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.entry}`,
    });
    logGroup.grantWrite(role);
    super(scope, id, {
      role,
      deadLetterQueue: props.deadLetterQueue,
      code: bundledCode(props.entry, props.usesOnnxRuntime ? [ONNXRUNTIME_MODULE] : []),
      handler: 'index.handler',
      description: props.description,
      runtime: MLOPS_FUNCTION_RUNTIME,
      architecture: lambda.Architecture.X86_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      layers: props.usesOnnxRuntime ? [onnxRuntimeLayer(scope)] : undefined,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace,
        METRICS_NAMESPACE: props.metricsNamespace,
        ...(props.sourceMapsAtLoad === false ? {} : { NODE_OPTIONS: '--enable-source-maps' }),
        ...props.environment,
      },
    });
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      "Active tracing adds xray:PutTraceSegments/PutTelemetryRecords, which support no resource-level permissions; test/lib/team-stack*.test.ts check that only such actions use '*' (iamWildcardProblems).",
    );
    acknowledge(
      this,
      'AwsSolutions-L1',
      'Pinned to Node.js 24, the runtime the tests and the local twin run the same bundles on (the node package pinned in package.json); move both together.',
    );
    acknowledge(
      this,
      'Serverless-LambdaLatestVersion',
      'Pinned to Node.js 24, the runtime the tests and the local twin run the same bundles on (the node package pinned in package.json); move both together.',
    );
  }
}

/**
 * The entry's bundle: prebuilt in the published package (tools/package/ bundles every entry with bundleFunction), else
 * bundled at synth in-process with esbuild's API into `index.mjs` (+ `chunks/`) with source maps. NodejsFunction would run the same
 * esbuild through `npx` once per function, which costs more than the build itself. The SDK is bundled (not taken
 * from the runtime) so the deployed code is the code we tested. The source map carries mappings only, no copy of
 * the sources: stack traces still resolve (`--enable-source-maps`), and the map is half the size to write and hash.
 */
function bundledCode(entry: string, externals: string[]): lambda.Code {
  const prebuilt = prebuiltAssets();
  if (prebuilt) return lambda.Code.fromAsset(prebuilt.functionBundle(entry, externals));
  return lambda.Code.fromAsset(REPO_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Required by the API; unused, since local bundling never declines.
      image: MLOPS_FUNCTION_RUNTIME.bundlingImage,
      local: new EsbuildBundling(entry, externals),
    },
  });
}

/**
 * Local bundling of one entry. Its fields are the build's inputs: CDK caches staged assets by their bundling options
 * serialized as JSON, so the entry and externals must be data, not captured by a closure.
 */
class EsbuildBundling implements ILocalBundling {
  constructor(
    readonly entry: string,
    readonly externals: string[],
  ) {}

  tryBundle(outputDir: string): boolean {
    bundleFunction(this.entry, outputDir, this.externals);
    return true;
  }
}

/**
 * Requires in a bundle: CommonJS code in the bundle (and the externals, which the layers provide on NODE_PATH, which
 * ES module imports do not search) still calls `require`, which an ES module has not.
 */
const REQUIRE_BANNER = "import { createRequire as __mlopsCreateRequire } from 'node:module'; const require = __mlopsCreateRequire(import.meta.url);";

/**
 * Bundles a function entry (relative to the repository root) into `outputDir/index.mjs` as deployed; also used by the
 * benchmarks, so they measure the deployed code. An ES module with code splitting: what an entry imports with
 * `import()` (the AWS SDK's clients of the inference function's capture and shadow paths, say) goes to files under
 * `chunks/` that load when first used, so a cold start neither parses nor runs them (bench/cold-start.ts).
 * Minified with `keepNames`: typed errors answer with their class
 * `name` as the error code (`{"error":"InvalidRequestError"}`), which minification would otherwise rename.
 * `mainFields` prefers a package's ES module build: the AWS SDK's `main` is one CommonJS file per client with every
 * command, its `module` build is a file per command that esbuild tree-shakes (the function bundles shrink by about a fifth,
 * and the inference function's cold start parses and compiles less: bench/cold-start.ts). One exception, by `alias`:
 * the HTTP handler's ES module build loads `node:http` with a dynamic `import()`, which goes through Node's ES module
 * loader and, building `node:http`'s module namespace, loads Node's bundled undici (about 40 ms on the first request
 * of every cold start); its CommonJS build uses `require`.
 */
export function bundleFunction(entry: string, outputDir: string, externals: readonly string[]): void {
  for (const file of bundledFiles(entry, externals)) {
    const target = join(outputDir, relative(REPO_ROOT, file.path));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.contents);
  }
}

/**
 * The bundles built in this process, by entry and externals. CDK keeps the assets it staged per App (their output
 * directory), so a process that synthesizes several Apps, as the template linters and the tests do (one process
 * synthesizes several teams' assemblies: test/helpers/synthesize-team-assembly.ts), would otherwise bundle every
 * function again for each. Sources do not change while a process synthesizes.
 */
const builtBundles = new Map<string, readonly esbuild.OutputFile[]>();

function bundledFiles(entry: string, externals: readonly string[]): readonly esbuild.OutputFile[] {
  const key = JSON.stringify([entry, externals]);
  let outputFiles = builtBundles.get(key);
  if (!outputFiles) {
    outputFiles = build(entry, externals);
    builtBundles.set(key, outputFiles);
  }
  return outputFiles;
}

function build(entry: string, externals: readonly string[]): readonly esbuild.OutputFile[] {
  // Loaded here, not imported: esbuild is a development dependency, absent where the published package runs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildSync } = require('esbuild') as typeof esbuild;
  // Built as if into the repository root and written to outputDir: the source maps then name the sources by their paths
  // in the repository wherever the bundle goes, and the chunks' names, which hash their maps too, are the same from any
  // output directory (the package's prebuilt bundles are those a synth in the repository deploys).
  return buildSync({
    entryPoints: { index: join(REPO_ROOT, entry) },
    absWorkingDir: REPO_ROOT,
    outdir: REPO_ROOT,
    write: false,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    splitting: true,
    banner: { js: REQUIRE_BANNER },
    bundle: true,
    platform: 'node',
    mainFields: ['module', 'main'],
    alias: { '@smithy/node-http-handler': '@smithy/node-http-handler/dist-cjs/index.js' },
    target: MLOPS_FUNCTION_RUNTIME.name.replace(/^nodejs(\d+)\.x$/, 'node$1'),
    format: 'esm',
    minify: true,
    keepNames: true,
    sourcemap: true,
    sourcesContent: false,
    external: [...externals],
    logLevel: 'warning',
  }).outputFiles;
}
