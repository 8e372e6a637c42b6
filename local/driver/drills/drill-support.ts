import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoRegistryStore, registryDocumentClient } from '../../../lambdas/registry/dynamodb-store';
import { ModelRegistry } from '../../../lambdas/registry/registry';
import type { VersionRecord } from '../../../lambdas/registry/schemas';
import { byomArtifactKey, parseS3Uri } from '../../../contracts/storage-layout';
import type { Execution } from '../../services/states/state-machines';
import { type LoopSession, LoopStepError, waitFor } from '../loop-session';

/** How long a drill waits for a deployment the twin runs (at time x60 a 5-minute bake lasts 5 s). */
export const DEPLOYMENT_TIMEOUT_MS = 180_000;

/** The model as the approval API shows it. */
export interface ModelState {
  liveVersion: number | null;
  deployingVersion: number | null;
  deployingExecution: string | null;
}

export const modelState = (session: LoopSession) => session.api<ModelState>('GET', `/models/${encodeURIComponent(session.model)}`);

/** The registry, read and written as the CLI and the pipeline do (the twin's DynamoDB, through the SDK). */
export function drillRegistry(session: LoopSession): ModelRegistry {
  const client = session.twin.dynamodb.client(session.twin.app.env.region);
  return new ModelRegistry(new DynamoRegistryStore(registryDocumentClient(client), session.twin.output('RegistryTableName')));
}

/** The live version, or a step error saying the drills need one. */
export async function requireLive(session: LoopSession, drill: string): Promise<VersionRecord> {
  const { liveVersion } = await modelState(session);
  if (liveVersion === null) throw new LoopStepError(drill, 'needs a live version; run the loop until deployed first');
  return drillRegistry(session).getVersion(session.model, liveVersion);
}

/**
 * Registers a new version with `source`'s lineage, metrics and holdout set (as `mlops models register` would), so it
 * reproduces its evaluation; `artifact` replaces the model archive when given (uploaded under the BYOM layout).
 */
export async function registerLike(session: LoopSession, source: VersionRecord, description: string, artifact?: Buffer): Promise<number> {
  let { artifactUri, artifactSha256 } = source;
  if (artifact) {
    artifactSha256 = createHash('sha256').update(artifact).digest('hex');
    const bucket = session.twin.output('ArtifactBucketName');
    const key = byomArtifactKey(session.model, artifactSha256);
    await session.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: artifact }));
    artifactUri = `s3://${bucket}/${key}`;
  }
  const registered = await drillRegistry(session).register(
    {
      model: session.model,
      artifactUri,
      artifactSha256,
      metrics: source.metrics,
      primaryMetric: source.primaryMetric,
      datasetUri: source.datasetUri,
      datasetSha256: source.datasetSha256,
      codeVersion: source.codeVersion,
      image: source.image,
      baselineUri: source.baselineUri,
      holdoutUri: source.holdoutUri,
      description,
    },
    'fault-drill',
  );
  return registered.version.version;
}

/** A version's model archive, as the artifact store holds it. */
export async function readArtifact(session: LoopSession, version: VersionRecord): Promise<Buffer> {
  const { bucket, key } = parseS3Uri(version.artifactUri);
  const object = await session.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await object.Body!.transformToByteArray());
}

/** The deployment executions started at or after `since`, once there are `count` of them. */
export function deploymentsSince(session: LoopSession, since: number, count = 1): Promise<Execution[]> {
  return waitFor('deployment', DEPLOYMENT_TIMEOUT_MS, () => {
    const found = session.executionsOf('DeploymentStateMachineArn', since);
    return found.length >= count ? found.slice(0, count) : undefined;
  });
}

/** Settles within the timeout or fails naming the execution. */
export async function finished(execution: Execution): Promise<Execution> {
  const done = await Promise.race([execution.done, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), DEPLOYMENT_TIMEOUT_MS))]);
  if (!done) throw new LoopStepError('deployment', `execution ${execution.name} still ${execution.status} after ${DEPLOYMENT_TIMEOUT_MS / 1000}s`);
  return done;
}

export const entered = (execution: Execution) => execution.events.filter((e) => e.type === 'StateEntered').map((e) => e.state);
