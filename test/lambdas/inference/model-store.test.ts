import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactIntegrityError, ModelUnavailableError } from '../../../lambdas/inference/errors';
import { loadVerifiedModel, sha256Hex } from '../../../lambdas/inference/model-store';
import { s3ArtifactReader } from '../../../pipelines/common/s3';
import { DynamoRegistryStore } from '../../../lambdas/registry/dynamodb-store';
import { fixtureArchive, loadFixture, modelArchive } from './fixtures';
import { type ServingBackends, startServingBackends } from './registered-model';

let backends: ServingBackends;
let load: (version: number) => ReturnType<typeof loadVerifiedModel>;
beforeAll(async () => {
  backends = await startServingBackends();
  const registry = new DynamoRegistryStore(backends.dynamo.documentClient, backends.dynamo.tableName);
  load = (version) => loadVerifiedModel({ registry, artifacts: s3ArtifactReader(backends.s3.client) }, 'card-fraud', version);
});
afterAll(async () => backends.stop());

describe('loadVerifiedModel', () => {
  it('loads a registered version whose bytes match the registry', async () => {
    const archive = fixtureArchive('fraud-gbt');
    const { version, artifactUri } = await backends.register('card-fraud', archive);
    const model = await load(version);
    expect(model).toMatchObject({ model: 'card-fraud', version, artifactUri, artifactSha256: sha256Hex(archive) });
    expect(model.metadata).toEqual(loadFixture('fraud-gbt').metadata);
    expect(Buffer.from(model.onnx).equals(Buffer.from(loadFixture('fraud-gbt').onnx))).toBe(true);
  });

  it('refuses bytes whose SHA-256 differs from the registry before extracting them', async () => {
    // GIVEN a registered hash, and different bytes (not even an archive) in S3
    const registered = sha256Hex(fixtureArchive('fraud-gbt'));
    const tampered = Buffer.from('tampered artifact');
    const { version, artifactUri } = await backends.register('card-fraud', tampered, registered);
    // THEN the hash check fails, not the archive reader
    const error = await load(version).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtifactIntegrityError);
    expect((error as Error).message).toBe(
      `artifact ${artifactUri} of card-fraud v${version} has SHA-256 ${sha256Hex(tampered)}, but the registry recorded ${registered}; refusing to load it`,
    );
  });

  it('reads archives with ./-prefixed entries', async () => {
    const { onnx, metadata } = loadFixture('linear-regressor');
    const archive = modelArchive({ 'model.onnx': onnx, 'metadata.json': JSON.stringify(metadata) }, { dotSlash: true });
    const { version } = await backends.register('card-fraud', archive);
    expect((await load(version)).metadata.task).toBe('regression');
  });

  it.each([
    ['no metadata.json', () => modelArchive({ 'model.onnx': loadFixture('linear-regressor').onnx }), /has no metadata\.json$/],
    ['invalid metadata', () => modelArchive({ 'model.onnx': 'x', 'metadata.json': '{"inputName": 3}' }), /metadata\.json in s3:\/\/.* is invalid: inputName: /],
    ['metadata that is not JSON', () => modelArchive({ 'model.onnx': 'x', 'metadata.json': '{' }), /metadata\.json in s3:\/\/.* is not JSON/],
    ['bytes that are not an archive', () => Buffer.from('x'.repeat(2048)), /has no model\.onnx and metadata\.json \(TAR_ENTRY_INVALID: checksum failure; TAR_BAD_ARCHIVE: Unrecognized archive format\)$/],
  ])('reports an artifact with %s', async (_what, bytes, message) => {
    const { version } = await backends.register('card-fraud', bytes());
    const error = await load(version).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect((error as Error).message).toMatch(message);
  });

  it.each(['pending_approval', 'rejected'] as const)('refuses a version that is %s: nobody approved it', async (status) => {
    // GIVEN a version registered but never approved (the refusal comes before any download)
    const archive = { model: 'card-fraud', artifactUri: 's3://artifacts/unreviewed/model.tar.gz', artifactSha256: 'a'.repeat(64), metrics: {} };
    const { version } = await backends.registry.register({ ...archive, clientToken: `never-approved-${status}` }, 'test');
    if (status === 'rejected') await backends.registry.reject('card-fraud', version.version, { actor: 'reviewer@example.com', reason: 'no' });
    // THEN serving it is refused, naming its status
    await expect(load(version.version)).rejects.toThrow(
      `model "card-fraud" v${version.version} is ${status}: only a version that was approved may be served (approve it first)`,
    );
  });

  it('serves a version that was approved and has since been rolled back (a restore may bring it back)', async () => {
    const { version } = await backends.register('card-fraud', fixtureArchive('fraud-gbt'));
    await backends.registry.beginDeployment('card-fraud', version, { actor: 'deployment', reason: 'test' }, 'deploy-test');
    await backends.registry.failDeployment('card-fraud', version, { actor: 'deployment', reason: 'test' }, 'deploy-test');
    expect((await backends.registry.getVersion('card-fraud', version)).status).toBe('rolled_back');
    expect((await load(version)).version).toBe(version);
  });

  it('reports a version the registry does not have', async () => {
    await expect(load(999)).rejects.toThrow('model "card-fraud" has no version 999 in the registry');
  });

  it('reports an artifact missing from S3', async () => {
    const { version, artifactUri } = await backends.register('card-fraud', fixtureArchive('fraud-gbt'));
    const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
    const key = artifactUri.replace(`s3://${backends.s3.bucket}/`, '');
    await backends.s3.client.send(new DeleteObjectCommand({ Bucket: backends.s3.bucket, Key: key }));
    await expect(load(version)).rejects.toThrow(`download of ${artifactUri} failed`);
  });

  describe('with the archive expected where the deployment flow pinned it (MODEL_ARTIFACT_URI)', () => {
    const reading = () => {
      const reads: string[] = [];
      const artifacts = { read: (uri: string) => (reads.push(uri), s3ArtifactReader(backends.s3.client).read(uri)) };
      const registry = new DynamoRegistryStore(backends.dynamo.documentClient, backends.dynamo.tableName);
      return { reads, deps: { registry, artifacts } };
    };

    it('downloads it beside the registry read, once', async () => {
      const { version, artifactUri } = await backends.register('card-fraud', fixtureArchive('fraud-gbt'));
      const { reads, deps } = reading();
      const model = await loadVerifiedModel(deps, 'card-fraud', version, { expectedArtifactUri: artifactUri });
      expect(model.artifactUri).toBe(artifactUri);
      expect(reads).toEqual([artifactUri]);
    });

    it("loads the registry's archive when the pinned one is another (a stale or hand-set pin), even one that cannot be read", async () => {
      const { version, artifactUri } = await backends.register('card-fraud', fixtureArchive('linear-regressor'));
      const stale = `s3://${backends.s3.bucket}/runs/none/model.tar.gz`;
      const { reads, deps } = reading();
      const model = await loadVerifiedModel(deps, 'card-fraud', version, { expectedArtifactUri: stale });
      expect(model).toMatchObject({ artifactUri, metadata: { task: 'regression' } });
      expect(reads).toEqual([stale, artifactUri]);
    });

    it('still refuses a version nobody approved, whatever was downloaded', async () => {
      const { artifactUri } = await backends.register('card-fraud', fixtureArchive('fraud-gbt'));
      const { version } = await backends.registry.register({ model: 'card-fraud', artifactUri, artifactSha256: sha256Hex(fixtureArchive('fraud-gbt')), metrics: {}, clientToken: 'pinned-unapproved' }, 'test');
      const { deps } = reading();
      await expect(loadVerifiedModel(deps, 'card-fraud', version.version, { expectedArtifactUri: artifactUri })).rejects.toThrow(
        `model "card-fraud" v${version.version} is pending_approval: only a version that was approved may be served (approve it first)`,
      );
    });
  });
});
