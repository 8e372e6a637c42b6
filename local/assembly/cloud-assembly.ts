import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * Reads what `cdk synth` wrote: the cloud assembly manifest, each stack's template, and the asset manifests that map
 * the S3 keys and image tags in the templates back to the directories in cdk.out. Nested stacks are not followed.
 */

const templateSchema = z.object({
  Parameters: z.record(z.string(), z.object({ Type: z.string(), Default: z.unknown().optional() }).loose()).optional(),
  Conditions: z.record(z.string(), z.unknown()).optional(),
  Mappings: z.record(z.string(), z.record(z.string(), z.record(z.string(), z.unknown()))).optional(),
  Resources: z
    .record(
      z.string(),
      z
        .object({
          Type: z.string(),
          Properties: z.record(z.string(), z.unknown()).optional(),
          Condition: z.string().optional(),
          Metadata: z.record(z.string(), z.unknown()).optional(),
        })
        .loose(),
    )
    .default({}),
  Outputs: z
    .record(
      z.string(),
      z.object({ Value: z.unknown(), Export: z.object({ Name: z.unknown() }).optional(), Condition: z.string().optional() }).loose(),
    )
    .optional(),
});
export type CfnTemplate = z.infer<typeof templateSchema>;
export type CfnResource = CfnTemplate['Resources'][string];

const manifestSchema = z.object({
  artifacts: z.record(
    z.string(),
    z
      .object({
        type: z.string(),
        environment: z.string().optional(),
        properties: z.record(z.string(), z.unknown()).optional(),
        dependencies: z.array(z.string()).optional(),
        displayName: z.string().optional(),
      })
      .loose(),
  ),
});

const assetManifestSchema = z.object({
  files: z
    .record(
      z.string(),
      z.object({
        source: z.object({ path: z.string().optional(), packaging: z.string().optional() }).loose(),
        destinations: z.record(z.string(), z.object({ objectKey: z.string() }).loose()),
      }),
    )
    .optional(),
  dockerImages: z
    .record(
      z.string(),
      z.object({
        source: z.object({ directory: z.string().optional(), dockerFile: z.string().optional() }).loose(),
        destinations: z.record(z.string(), z.object({ imageTag: z.string(), repositoryName: z.string().optional() }).loose()),
      }),
    )
    .optional(),
});

export interface StackArtifact {
  /** Artifact id in the manifest (also the CloudFormation stack name unless properties.stackName says otherwise). */
  readonly artifactId: string;
  readonly stackName: string;
  readonly template: CfnTemplate;
  /** Artifact ids of the stacks this one depends on (deployed first). */
  readonly dependencies: string[];
}

export interface FileAsset {
  /** Absolute path of the asset in cdk.out (a directory for zip packaging, a file otherwise). */
  readonly path: string;
  readonly packaging: string;
}

export interface ImageAsset {
  /** Absolute path of the build context copied into cdk.out. */
  readonly directory: string;
  /** Dockerfile path relative to the context. */
  readonly dockerFile: string;
}

export class CloudAssemblyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CloudAssemblyError';
  }
}

export class CloudAssembly {
  /** Reads `<dir>/manifest.json` and everything it points at; throws naming the file that is missing or malformed. */
  static read(dir: string): CloudAssembly {
    const root = resolve(dir);
    const manifest = parseJsonFile(join(root, 'manifest.json'), manifestSchema);
    const stacks: StackArtifact[] = [];
    const files = new Map<string, FileAsset>();
    const images = new Map<string, ImageAsset>();
    for (const [artifactId, artifact] of Object.entries(manifest.artifacts)) {
      const props = artifact.properties ?? {};
      if (artifact.type === 'aws:cloudformation:stack') {
        const templateFile = z.string().parse(props.templateFile);
        stacks.push({
          artifactId,
          stackName: typeof props.stackName === 'string' ? props.stackName : artifactId,
          template: parseJsonFile(join(root, templateFile), templateSchema),
          dependencies: (artifact.dependencies ?? []).filter((d) => manifest.artifacts[d]?.type === 'aws:cloudformation:stack'),
        });
      } else if (artifact.type === 'cdk:asset-manifest') {
        const assets = parseJsonFile(join(root, z.string().parse(props.file)), assetManifestSchema);
        for (const asset of Object.values(assets.files ?? {})) {
          if (!asset.source.path) continue;
          for (const destination of Object.values(asset.destinations)) {
            files.set(destination.objectKey, {
              path: join(root, asset.source.path),
              packaging: asset.source.packaging ?? 'file',
            });
          }
        }
        for (const asset of Object.values(assets.dockerImages ?? {})) {
          if (!asset.source.directory) continue;
          for (const destination of Object.values(asset.destinations)) {
            images.set(destination.imageTag, {
              directory: join(root, asset.source.directory),
              dockerFile: asset.source.dockerFile ?? 'Dockerfile',
            });
          }
        }
      }
    }
    return new CloudAssembly(root, orderByDependencies(stacks), files, images);
  }

  private constructor(
    readonly directory: string,
    /** Stacks in deployment order (dependencies first). */
    readonly stacks: readonly StackArtifact[],
    private readonly files: ReadonlyMap<string, FileAsset>,
    private readonly images: ReadonlyMap<string, ImageAsset>,
  ) {}

  /** The file asset published under an S3 object key (e.g. a Lambda function's `Code.S3Key`). */
  fileAsset(objectKey: string): FileAsset {
    const asset = this.files.get(objectKey);
    if (!asset) throw new CloudAssemblyError(`no file asset in ${this.directory} is published as "${objectKey}"`);
    return asset;
  }

  /** The image asset of a container image URI (`<registry>/<repository>:<tag>`), by its tag. */
  imageAsset(imageUri: string): ImageAsset {
    const tag = imageUri.slice(imageUri.lastIndexOf(':') + 1);
    const asset = this.images.get(tag);
    if (!asset) throw new CloudAssemblyError(`image "${imageUri}" is not an image asset of ${this.directory}`);
    return asset;
  }
}

function parseJsonFile<T>(file: string, schema: z.ZodType<T>): T {
  if (!existsSync(file)) throw new CloudAssemblyError(`${file} does not exist; run \`cdk synth\` first`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CloudAssemblyError(`${file} is not JSON`, { cause: err });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CloudAssemblyError(`${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

function orderByDependencies(stacks: StackArtifact[]): StackArtifact[] {
  const byId = new Map(stacks.map((s) => [s.artifactId, s]));
  const ordered: StackArtifact[] = [];
  const visit = (stack: StackArtifact, path: string[]) => {
    if (ordered.includes(stack)) return;
    if (path.includes(stack.artifactId)) throw new CloudAssemblyError(`stack dependency cycle: ${[...path, stack.artifactId].join(' -> ')}`);
    for (const dep of stack.dependencies) {
      const target = byId.get(dep);
      if (target) visit(target, [...path, stack.artifactId]);
    }
    ordered.push(stack);
  };
  for (const stack of stacks) visit(stack, []);
  return ordered;
}
