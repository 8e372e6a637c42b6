import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { CloudAssembly } from '../../assembly/cloud-assembly';
import { filesUnder } from '../../files-under';
import { LOCAL_CREDENTIALS } from '../aws-environment';
import type { CustomResourceRequest, CustomResourceResponse } from './custom-resource-protocol';

/** The resource type aws-cdk-lib's BucketDeployment creates. */
export const BUCKET_DEPLOYMENT_TYPE = 'Custom::CDKBucketDeployment';

const propertiesSchema = z.object({
  SourceBucketNames: z.array(z.string()).min(1),
  SourceObjectKeys: z.array(z.string()).min(1),
  SourceMarkers: z.array(z.record(z.string(), z.string())).optional(),
  DestinationBucketName: z.string().min(1),
  DestinationBucketKeyPrefix: z.string().optional(),
  Prune: z.enum(['true', 'false']).optional(),
  RetainOnDelete: z.enum(['true', 'false']).optional(),
  SystemMetadata: z.record(z.string(), z.string()).optional(),
});
type DeploymentProperties = z.infer<typeof propertiesSchema>;

/**
 * Custom::CDKBucketDeployment without its function: CDK's handler is Python calling `aws s3 sync`, which the twin's
 * Lambda runtime (Node.js) cannot run. The twin does what the handler does: each source (a directory asset of cdk.out) is
 * read, its deploy-time markers replaced by their resolved values, and the files put under the destination prefix
 * with the deployment's Cache-Control and Content-Type; objects no longer in the sources are pruned unless `Prune` is
 * false; a Delete removes the files only when `RetainOnDelete` is false. CloudFront invalidations are not modelled.
 */
export class BucketDeployments {
  constructor(
    private readonly s3Endpoint: string,
    private readonly region: string,
  ) {}

  /** `assembly` holds the sources the request's properties name (the new app's on an update, the old one's on its rollback). */
  async handle(request: CustomResourceRequest, assembly: CloudAssembly): Promise<CustomResourceResponse> {
    const answer = (fields: Partial<CustomResourceResponse>): CustomResourceResponse => ({
      Status: 'SUCCESS',
      PhysicalResourceId: request.PhysicalResourceId ?? `aws.cdk.s3deployment.${randomUUID()}`,
      StackId: request.StackId,
      RequestId: request.RequestId,
      LogicalResourceId: request.LogicalResourceId,
      ...fields,
    });
    const parsed = propertiesSchema.safeParse(request.ResourceProperties);
    if (!parsed.success) {
      return answer({ Status: 'FAILED', Reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    }
    const props = parsed.data;
    const s3 = new S3Client({ region: this.region, endpoint: this.s3Endpoint, forcePathStyle: true, credentials: LOCAL_CREDENTIALS });
    try {
      if (request.RequestType === 'Delete') {
        if (props.RetainOnDelete === 'false') await this.prune(s3, props, new Set());
      } else {
        const files = sourceFilesOf(props, assembly);
        for (const [key, body] of files) {
          await s3.send(
            new PutObjectCommand({ Bucket: props.DestinationBucketName, Key: key, Body: body, ContentType: contentType(key), CacheControl: props.SystemMetadata?.['cache-control'] }),
          );
        }
        if (props.Prune !== 'false') await this.prune(s3, props, new Set(files.keys()));
      }
      return answer({ Data: { DestinationBucketArn: `arn:aws:s3:::${props.DestinationBucketName}` } });
    } catch (err) {
      return answer({ Status: 'FAILED', Reason: (err as Error).message });
    } finally {
      s3.destroy();
    }
  }

  private async prune(s3: S3Client, props: DeploymentProperties, keep: ReadonlySet<string>): Promise<void> {
    const Bucket = props.DestinationBucketName;
    for (let token: string | undefined, first = true; first || token; first = false) {
      const page = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: props.DestinationBucketKeyPrefix, ContinuationToken: token }));
      const stale = (page.Contents ?? []).map((o) => o.Key!).filter((key) => !keep.has(key));
      if (stale.length) await s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: stale.map((Key) => ({ Key })) } }));
      token = page.NextContinuationToken;
    }
  }
}

/** Destination key -> content of every file of every source, later sources winning, markers replaced. */
function sourceFilesOf(props: DeploymentProperties, assembly: CloudAssembly): Map<string, Buffer> {
  const prefix = props.DestinationBucketKeyPrefix ?? '';
  const files = new Map<string, Buffer>();
  props.SourceObjectKeys.forEach((objectKey, index) => {
    const markers = Object.entries(props.SourceMarkers?.[index] ?? {});
    for (const [name, content] of sourceFiles(assembly.fileAsset(objectKey).path)) {
      files.set(`${prefix}${name}`, markers.length ? Buffer.from(markers.reduce((text, [marker, value]) => text.split(marker).join(value), content.toString('utf8'))) : content);
    }
  });
  return files;
}

/**
 * The files of a source, relative paths with `/`. Directory assets (Source.asset of a directory, Source.data and
 * jsonData) are directories in cdk.out; a source that is a .zip file is refused, naming it.
 */
function sourceFiles(path: string): [string, Buffer][] {
  if (!statSync(path).isDirectory()) throw new Error(`the twin deploys directory sources only; ${path} is a file`);
  return filesUnder(path).map(({ path: file, key }) => [key, readFileSync(file)]);
}

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html',
  js: 'text/javascript',
  css: 'text/css',
  json: 'application/json',
  svg: 'image/svg+xml',
  png: 'image/png',
  map: 'application/json',
};

/** As `aws s3 sync` guesses it from the extension. */
const contentType = (key: string) => CONTENT_TYPES[key.slice(key.lastIndexOf('.') + 1).toLowerCase()] ?? 'application/octet-stream';
