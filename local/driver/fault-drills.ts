import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { parseS3Uri } from '../../contracts/storage-layout';
import type { Execution } from '../services/states/state-machines';
import { abortDrill, canaryRollbackDrill, concurrentApprovalsDrill, duplicateEventDrill, restoreDrill } from './drills/deployment-drills';
import { deadLetterDrill } from './drills/dead-letter-drill';
import type { DrillResult } from './drills/drill-result';
import { deploymentsSince, drillRegistry, entered, finished, registerLike, requireLive } from './drills/drill-support';
import { stackUpdateDrill, type TeamSynthesizer } from './drills/stack-update-drill';
import { type LoopSession, LoopStepError } from './loop-session';

/**
 * Fault drills: make the platform's failure paths happen for real, so they can be seen in the console and checked
 * in tests. Each one goes through the same doors as the loop (pipeline API, approval API, the CLI, the artifact
 * store, the function URL) on the synthesized stack the twin runs; they need a live version.
 */

/** A training run on a dataset prefix with nothing under it: the processing job fails and the run is recorded. */
export async function failedTrainingDrill(session: LoopSession, name: string): Promise<Execution> {
  const missing = `s3://${session.twin.output('ArtifactBucketName')}/datasets/${name}-no-such-data/`;
  const arn = await session.startTraining(name, 'fault drill: missing dataset', missing);
  return session.execution(arn).done;
}

/**
 * A new version (the live one's model, registered again) whose model archive no longer matches its registered
 * sha256 is approved: the deployment's holdout check cannot reproduce the evaluation, the flow rolls back, and the
 * live version keeps serving.
 */
export async function rollbackDrill(session: LoopSession): Promise<{ version: number; execution: Execution }> {
  const live = await requireLive(session, 'rollback');
  const version = await registerLike(session, live, 'fault drill: its archive is corrupted after registration', await artifactBytes(session, live.artifactUri));
  const { artifactUri } = await drillRegistry(session).getVersion(session.model, version);
  const { bucket, key } = parseS3Uri(artifactUri);
  const corrupted = Buffer.concat([await artifactBytes(session, artifactUri), Buffer.from('corrupted by the rollback drill')]);
  await session.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: corrupted }));
  const approvedAt = Date.now();
  await session.approve(version, 'fault drill: approve a version whose artifact was corrupted');
  const [deployment] = await deploymentsSince(session, approvedAt);
  return { version, execution: await finished(deployment) };
}

async function artifactBytes(session: LoopSession, uri: string): Promise<Buffer> {
  const { bucket, key } = parseS3Uri(uri);
  const object = await session.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await object.Body!.transformToByteArray());
}

/** Runs every drill in turn (each leaves a live version for the next) and prints one line each; true when all held. */
export async function runFaultDrills(session: LoopSession, synthesize: TeamSynthesizer, log: (line: string) => void): Promise<boolean> {
  log('\nfault drills:');
  const drills: Array<[string, () => Promise<DrillResult>]> = [
    ['failed training', async () => {
      const failed = await failedTrainingDrill(session, `drill-failed-training-${Date.now()}`);
      return { name: 'failed training', ok: failed.status === 'FAILED', line: `execution ${failed.name} ${failed.status} (${failed.error})` };
    }],
    ['stack update', () => stackUpdateDrill(session, synthesize)],
    ['concurrent approvals', () => concurrentApprovalsDrill(session)],
    ['duplicate event', () => duplicateEventDrill(session)],
    ['restore', () => restoreDrill(session)],
    ['abort', () => abortDrill(session)],
    ['canary rollback', () => canaryRollbackDrill(session)],
    ['holdout rollback', async () => {
      const aliasBefore = session.liveAlias().version;
      const { version, execution } = await rollbackDrill(session);
      const rolledBack = entered(execution).includes('Rollback');
      const alias = session.liveAlias().version;
      return {
        name: 'holdout rollback',
        ok: rolledBack && execution.status === 'FAILED' && alias === aliasBefore,
        line: `v${version} with a corrupted archive: deployment ${execution.status}${rolledBack ? ', rolled back' : ', did NOT roll back'} (${execution.error}); alias -> ${alias}`,
      };
    }],
    ['dead letter', () => deadLetterDrill(session)],
  ];
  let ok = true;
  for (const [name, drill] of drills) {
    try {
      const result = await drill();
      log(`  ${result.ok ? 'ok  ' : 'FAIL'} ${result.name}: ${result.line}`);
      ok &&= result.ok;
    } catch (err) {
      log(`  FAIL ${name}: ${err instanceof LoopStepError ? err.message : (err as Error).stack}`);
      ok = false;
    }
  }
  return ok;
}
