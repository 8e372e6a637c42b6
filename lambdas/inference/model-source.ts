import { optionalEnv, requiredEnv } from '../shared/env';
import { DirectReads, directReadsConfigFromEnv } from './direct-reads';
import { ModelUnavailableError } from './errors';
import { loadVerifiedModel, type ModelReads, type VerifiedModel } from './model-store';

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
    /** The reads, or how to get them (the SDK's, imported on the first load). */
    private readonly reads: ModelReads | (() => Promise<ModelReads>),
    readonly model: string,
    readonly version: number,
    /** Where the archive is expected (LoadOptions.expectedArtifactUri). */
    private readonly expectedArtifactUri?: string,
  ) {}

  async load(): Promise<VerifiedModel> {
    const reads = typeof this.reads === 'function' ? await this.reads() : this.reads;
    return loadVerifiedModel(reads, this.model, this.version, { expectedArtifactUri: this.expectedArtifactUri });
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
 * MODEL_NAME and MODEL_VERSION from the environment, and MODEL_ARTIFACT_URI where the deployment flow pinned the
 * version's archive (its download then starts beside the registry read); the registry is REGISTRY_TABLE_NAME. Endpoints, region and
 * credentials come from the standard AWS environment (the local twin points them at its stand-ins). Where it carries
 * static credentials (always in Lambda), the two reads are direct signed requests (direct-reads.ts: the SDK's clients
 * would be most of the cold start); elsewhere (an EKS pod's web identity) the SDK's clients, imported when first used.
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
  const table = requiredEnv('REGISTRY_TABLE_NAME');
  const expectedArtifactUri = optionalEnv('MODEL_ARTIFACT_URI', '') || undefined;
  const direct = directReadsConfigFromEnv();
  if (direct) {
    const reads = new DirectReads(direct, table);
    return new RegistryModelSource({ registry: reads, artifacts: reads }, model, version, expectedArtifactUri);
  }
  const sdkReads = () => import('./sdk-reads').then(({ sdkModelReads }) => sdkModelReads(table));
  return new RegistryModelSource(sdkReads, model, version, expectedArtifactUri);
}

/**
 * `source` with its first load started now: the Lambda handler starts its model's reads before it loads the rest of
 * its code (handler.ts), so the registry and S3 answer while the code loads. The first `load` returns that load; later
 * ones (a retry after a failure) load afresh.
 */
export function loadingNow(source: ModelSource): ModelSource {
  let first: Promise<VerifiedModel> | undefined = source.load();
  first.catch(() => undefined);
  return {
    model: source.model,
    version: source.version,
    load: () => {
      const load = first ?? source.load();
      first = undefined;
      return load;
    },
  };
}
