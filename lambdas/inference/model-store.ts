import type { VersionRecord } from '../registry/schemas';
import { nodeCrypto } from '../shared/node-builtins';
import { afterRequestsSent } from './after-requests-sent';
import { ArtifactIntegrityError, ModelUnavailableError } from './errors';
import type { ModelArtifact } from './model-archive';

/** The registry read the serving code needs: one version's item (status, artifact URI and SHA-256). */
export interface VersionLookup {
  getVersion(model: string, version: number): Promise<Pick<VersionRecord, 'status' | 'artifactUri' | 'artifactSha256'> | undefined>;
}

/** Where a model archive's bytes come from: the object an `s3://bucket/key` URI names. */
export interface ArtifactReader {
  read(uri: string): Promise<Uint8Array>;
}

/** What a model load reads: the registry's version item and the archive. */
export interface ModelReads {
  registry: VersionLookup;
  artifacts: ArtifactReader;
}

/**
 * Statuses of versions nobody approved: serving one would put an unreviewed model in front of users, whichever tier
 * names it (the deployment flow only deploys approved versions; an EKS config or a hand-set MODEL_VERSION could name
 * any). A version approved once and later retired or rolled back stays servable, so a restore can bring it back.
 */
const NEVER_APPROVED_STATUSES: ReadonlySet<VersionRecord['status']> = new Set(['pending_approval', 'rejected']);

export interface VerifiedModel extends ModelArtifact {
  model: string;
  version: number;
  artifactUri: string;
  artifactSha256: string;
}

export const sha256Hex = (bytes: Uint8Array) => nodeCrypto.createHash('sha256').update(bytes).digest('hex');

export interface LoadOptions {
  /**
   * `shadow`: the answers go to a comparison nobody is served from (lambdas/shadow/), so a version pending approval
   * loads too; a rejected one still does not.
   * @default 'serving'
   */
  readonly purpose?: 'serving' | 'shadow';
  /**
   * Where the version's archive is expected (the deployment flow pins it in the function version's environment,
   * MODEL_ARTIFACT_URI): its download starts beside the registry read instead of after it. The registry stays the
   * authority: the bytes are used only if its record names the same URI (else the record's URI is downloaded), and
   * its status and SHA-256 decide as always.
   * @default - the download waits for the registry's record
   */
  readonly expectedArtifactUri?: string;
}

/**
 * Loads a registered model version: looks up its artifact in the registry (refusing a version never approved), downloads
 * model.tar.gz, checks the bytes' SHA-256 against the registry's BEFORE anything is extracted, then reads model.onnx and
 * metadata.json. Every failure is a ModelUnavailableError whose message says what was wrong (ArtifactIntegrityError for
 * a hash mismatch).
 */
export async function loadVerifiedModel(deps: ModelReads, model: string, version: number, options: LoadOptions = {}): Promise<VerifiedModel> {
  const { purpose = 'serving', expectedArtifactUri } = options;
  // The archive reader (tar, the metadata schema) loads while the reads are in flight: a cold start needs it after them.
  const archiveReader = afterRequestsSent(() => import('./model-archive'));
  archiveReader.catch(() => undefined);
  const download = (uri: string) => attempt(`download of ${uri}`, () => deps.artifacts.read(uri));
  const early = expectedArtifactUri === undefined ? undefined : { uri: expectedArtifactUri, bytes: download(expectedArtifactUri) };
  // Not awaited when the registry refuses the version or names another archive.
  early?.bytes.catch(() => undefined);
  const record = await attempt(`registry lookup of ${model} v${version}`, () => deps.registry.getVersion(model, version));
  if (!record) throw new ModelUnavailableError(`model "${model}" has no version ${version} in the registry`);
  if (NEVER_APPROVED_STATUSES.has(record.status) && !(purpose === 'shadow' && record.status === 'pending_approval')) {
    throw new ModelUnavailableError(
      `model "${model}" v${version} is ${record.status}: only a version that was approved may be served (approve it first)`,
    );
  }
  const { artifactUri, artifactSha256 } = record;
  const bytes = await (early?.uri === artifactUri ? early.bytes : download(artifactUri));
  const actual = sha256Hex(bytes);
  if (actual !== artifactSha256) {
    throw new ArtifactIntegrityError(
      `artifact ${artifactUri} of ${model} v${version} has SHA-256 ${actual}, but the registry recorded ${artifactSha256}; refusing to load it`,
    );
  }
  const { readModelArchive } = await archiveReader;
  return { ...readModelArchive(bytes, artifactUri), model, version, artifactUri, artifactSha256 };
}

async function attempt<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new ModelUnavailableError(`${what} failed: ${(error as Error).message}`, { cause: error });
  }
}
