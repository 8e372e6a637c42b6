import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Execution } from '../services/states/state-machines';
import { type LoopSession, LoopStepError, waitFor } from './loop-session';

/**
 * Fault drills: make the platform's failure paths happen for real, so they can be seen in the console and checked
 * in tests. Each one goes through the same doors as the loop (pipeline API, approval API, the artifact store).
 */

/** A training run on a dataset prefix with nothing under it: the processing job fails and the run is recorded. */
export async function failedTrainingDrill(session: LoopSession, name: string): Promise<Execution> {
  const missing = `s3://${session.twin.output('ArtifactBucketName')}/datasets/${name}-no-such-data/`;
  const arn = await session.startTraining(name, 'fault drill: missing dataset', missing);
  return session.execution(arn).done;
}

/**
 * A pending version whose model archive no longer matches its registered sha256 is approved: the deployment's
 * holdout check cannot reproduce the evaluation, the flow rolls back, and the live version keeps serving.
 */
export async function rollbackDrill(session: LoopSession, version: number): Promise<Execution> {
  const detail = await session.api<{ artifact: { uri: string } }>('GET', `/models/${encodeURIComponent(session.model)}/versions/${version}`);
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(detail.artifact.uri);
  if (!match) throw new LoopStepError('rollback drill', `version ${version} has no s3:// artifact URI`);
  const [, bucket, key] = match;
  const object = await session.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const corrupted = Buffer.concat([Buffer.from(await object.Body!.transformToByteArray()), Buffer.from('corrupted by the rollback drill')]);
  await session.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: corrupted }));
  const approvedAt = Date.now();
  await session.approve(version, 'fault drill: approve a version whose artifact was corrupted');
  const deployment = await waitFor('rollback drill', 120_000, () => session.executionsOf('DeploymentStateMachineArn', approvedAt)[0]);
  return deployment.done;
}

/** Runs the fault drills (the rollback one needs a pending version and a live one); true when each failed as it should. */
export async function runFaultDrills(session: LoopSession, pendingVersion: number | undefined, log: (line: string) => void): Promise<boolean> {
  log('\nfault drills:');
  const failed = await failedTrainingDrill(session, `drill-failed-training-${Date.now()}`);
  log(`  failed training: execution ${failed.name} ${failed.status} (${failed.error})`);
  let ok = failed.status === 'FAILED';
  if (pendingVersion !== undefined) {
    const deployment = await rollbackDrill(session, pendingVersion);
    const rolledBack = deployment.events.some((e) => e.type === 'StateEntered' && e.state === 'Rollback');
    log(`  rollback: deployment ${deployment.name} ${deployment.status}${rolledBack ? ', rolled back' : ', did NOT roll back'}; live alias -> ${session.liveAlias().version}`);
    ok &&= rolledBack;
  }
  return ok;
}
