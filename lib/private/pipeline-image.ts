import { resolve } from 'node:path';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { ContainerSpec } from '../../contracts/team-config';
import { REPO_ROOT } from './mlops-function';
import { prebuiltAssets } from './prebuilt-assets';

/** `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>` followed by `:<tag>` or `@sha256:<digest>`. */
const ECR_IMAGE_URI = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(\.cn)?\/([a-z0-9._/-]+)(?::[\w.-]+|@sha256:[0-9a-f]{64})$/;

/** The repository an Amazon ECR image URI points at. */
export interface EcrRepositoryReference {
  readonly account: string;
  readonly region: string;
  readonly repositoryArn: string;
}

/** The repository of an Amazon ECR image URI; undefined for any other registry. */
export function ecrRepositoryOf(imageUri: string): EcrRepositoryReference | undefined {
  const match = ECR_IMAGE_URI.exec(imageUri);
  if (!match) return undefined;
  const [, account, region, china, repositoryName] = match;
  const partition = china ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return { account, region, repositoryArn: `arn:${partition}:ecr:${region}:${account}:repository/${repositoryName}` };
}

/**
 * The Dockerfile directory of a team's container, relative to the directory of cdk.json: the repository root here;
 * the team's app directory, where `cdk` runs the app, when the constructs run from the published package.
 */
export const containerDirectory = (directory: string): string => resolve(prebuiltAssets() ? process.cwd() : REPO_ROOT, directory);

/**
 * The build context of a built-in image (`dockerfile` relative to it): the repository root here (.dockerignore lets in
 * only what the built-in Dockerfiles copy), or the package's prebuilt context holding only the files that Dockerfile copies.
 */
export const builtInImageContext = (dockerfile: string): string => prebuiltAssets()?.imageContext(dockerfile) ?? REPO_ROOT;

/**
 * A container image a pipeline job runs: the built-in one or a team's own (a Dockerfile directory built into an image
 * asset by `cdk deploy`, or an existing image by URI). One place decides the image URI the job sees and who may pull it.
 */
export abstract class PipelineImage {
  /** An image asset built from `file` in `directory` (absolute). */
  static fromDockerfile(scope: Construct, id: string, directory: string, file: string): PipelineImage {
    return new AssetImage(
      new ecrAssets.DockerImageAsset(scope, id, { directory, file, platform: ecrAssets.Platform.LINUX_AMD64 }),
    );
  }

  /** A built-in image of the platform (pipelines/processing, pipelines/trainer, lambdas/inference) by its Dockerfile path. */
  static builtIn(scope: Construct, id: string, dockerfile: string): PipelineImage {
    return PipelineImage.fromDockerfile(scope, id, builtInImageContext(dockerfile), dockerfile);
  }

  /** A team's `container` section: its Dockerfile directory, or its image URI. Check `containerSpecProblems` first. */
  static fromContainerSpec(scope: Construct, id: string, spec: ContainerSpec): PipelineImage {
    if (spec.directory !== undefined) return PipelineImage.fromDockerfile(scope, id, containerDirectory(spec.directory), spec.dockerfile);
    return new UriImage(spec.imageUri!); // the config schema requires one of the two
  }

  /** The image URI the job is started with. */
  abstract readonly imageUri: string;
  /** Identifies the image's content: the asset hash of a built image, the URI (tag or digest) of an existing one. */
  abstract readonly version: string;
  /** Lets `grantee` pull the image. */
  abstract grantPull(grantee: iam.IGrantable): void;

  /** The image for SageMaker's AlgorithmSpecification; binding it lets the training role pull it. */
  forSageMaker(): tasks.DockerImage {
    return new SageMakerImage(this);
  }

  /** The image for an ECS (AWS Batch) container; binding it lets the execution role pull it. */
  forEcs(): ecs.ContainerImage {
    return new EcsImage(this);
  }
}

class AssetImage extends PipelineImage {
  readonly imageUri: string;
  readonly version: string;

  constructor(private readonly asset: ecrAssets.DockerImageAsset) {
    super();
    this.imageUri = asset.imageUri;
    this.version = asset.assetHash;
  }

  grantPull(grantee: iam.IGrantable): void {
    this.asset.repository.grantPull(grantee);
  }
}

class UriImage extends PipelineImage {
  readonly version: string;

  constructor(readonly imageUri: string) {
    super();
    this.version = imageUri;
  }

  /**
   * Pull from the image's ECR repository, named exactly. A repository of another account (AWS's framework images,
   * a shared registry) must also allow the pull in its repository policy; AWS's framework images do. Registries
   * other than ECR need no IAM permission.
   */
  grantPull(grantee: iam.IGrantable): void {
    const repository = ecrRepositoryOf(this.imageUri);
    if (!repository) return;
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
      resourceArns: [repository.repositoryArn],
    });
    iam.Grant.addToPrincipal({ grantee, actions: ['ecr:GetAuthorizationToken'], resourceArns: ['*'] });
  }
}

/** `tasks.DockerImage.fromRegistry` grants nothing and `fromEcrRepository` rewrites the URI; this keeps both right. */
class SageMakerImage extends tasks.DockerImage {
  constructor(private readonly image: PipelineImage) {
    super();
  }

  bind(task: tasks.ISageMakerTask): tasks.DockerImageConfig {
    this.image.grantPull(task);
    return { imageUri: this.image.imageUri };
  }
}

/** `ecs.ContainerImage.fromRegistry` grants nothing (and warns on ECR URIs); this grants the execution role the pull. */
class EcsImage extends ecs.ContainerImage {
  constructor(private readonly image: PipelineImage) {
    super();
  }

  bind(_scope: Construct, containerDefinition: ecs.ContainerDefinition): ecs.ContainerImageConfig {
    this.image.grantPull(containerDefinition.taskDefinition.obtainExecutionRole());
    return { imageName: this.image.imageUri };
  }
}
