import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../pipelines/common/s3';
import { DynamoRegistryStore, registryDocumentClient } from '../registry/dynamodb-store';
import { optionalEnv, requiredEnv } from '../shared/env';
import { ModelUnavailableError } from './errors';
import { loadVerifiedModel, type VerifiedModel, type VersionLookup } from './model-store';

/**
 * Where the served model comes from; the Lambda handler and the container server both build theirs with
 * `modelSourceFromEnv`.
 */
export interface ModelSource {
  readonly model: string;
  /** The version served; undefined when none is configured (load then fails with the reason). */
  readonly version?: number;
  load(): Promise<VerifiedModel>;
}

/** A registered version: artifact location and SHA-256 from the registry, bytes from S3, verified before loading. */
export class RegistryModelSource implements ModelSource {
  constructor(
    private readonly deps: { registry: VersionLookup; s3: S3Client },
    readonly model: string,
    readonly version: number,
  ) {}

  load(): Promise<VerifiedModel> {
    return loadVerifiedModel(this.deps, this.model, this.version);
  }
}

/** No version configured: the function's $LATEST before its first deployment. */
class UnconfiguredModelSource implements ModelSource {
  readonly version = undefined;
  constructor(
    readonly model: string,
    private readonly reason: string,
  ) {}

  load(): Promise<VerifiedModel> {
    return Promise.reject(new ModelUnavailableError(this.reason));
  }
}

/**
 * MODEL_NAME and MODEL_VERSION from the environment; the registry is REGISTRY_TABLE_NAME. SDK clients take
 * endpoints and region from the standard AWS environment (the local twin points them at its stand-ins).
 *
 * The version item is read straight from the registry's store: one read at model load, and serving code only has
 * read access to the table. A status change committed but not yet applied (the registry's writers apply it within
 * the same call) is not seen; the refusal of a never-approved version errs on the side of not serving.
 */
export function modelSourceFromEnv(): ModelSource {
  const model = requiredEnv('MODEL_NAME');
  const raw = optionalEnv('MODEL_VERSION', '');
  if (raw === '') {
    return new UnconfiguredModelSource(
      model,
      'MODEL_VERSION is not set: this function version serves no model yet (deploy a model version to serve it)',
    );
  }
  const version = Number(raw);
  if (!Number.isSafeInteger(version) || version < 1) {
    return new UnconfiguredModelSource(model, `MODEL_VERSION must be a positive integer, got "${raw}"`);
  }
  const registry = new DynamoRegistryStore(registryDocumentClient(new DynamoDBClient({})), requiredEnv('REGISTRY_TABLE_NAME'));
  return new RegistryModelSource({ registry, s3: createS3Client() }, model, version);
}
