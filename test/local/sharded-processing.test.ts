import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTeamConfig, type TeamConfigInput } from '../../contracts/team-config';
import { entered } from '../../local/driver/drills/drill-support';
import { LoopSession } from '../../local/driver/loop-session';
import { teamDataset } from '../../local/driver/team-dataset';
import { getObjectBytes, listKeys } from '../../pipelines/common/s3';
import { datasetToCsv, generateTransactions } from '../../pipelines/datasets/card-fraud';
import { processDataset } from '../../pipelines/processing/process';
import { startTeamTwin, type TeamTwin } from '../helpers/twin';

/** The example team with its Process step in 3 shards; any model passes the gate (the run is about its data). */
const raw = JSON.parse(readFileSync('pipelines/teams/fraud.json', 'utf8')) as TeamConfigInput & { training: Record<string, unknown>; evaluation: Record<string, unknown> };
const scratch = mkdtempSync(join(tmpdir(), 'sharded-processing-'));
const config = parseTeamConfig({ ...raw, training: { ...raw.training, processing: { shards: 3 } }, evaluation: { ...raw.evaluation, threshold: 0 } });

/**
 * The synthesized training state machine with training.processing.shards 3 in the twin: its Process step is a Batch
 * array job of 3 children, then MergeShards; what it writes is, byte for byte, what one processing job writes.
 */
describe('sharded processing in the twin', () => {
  let team: TeamTwin;
  let session: LoopSession;
  let bucket: string;
  let datasetUri: string;
  let run: { status: string; error?: string; cause?: string } | undefined;

  beforeAll(async () => {
    team = await startTeamTwin({ timeScale: 600, config });
    session = new LoopSession(team.twin, config);
    bucket = team.twin.output('ArtifactBucketName');
    // GIVEN a directory of 5 files, uploaded as npm start's --dataset uploads one
    const dataset = generateTransactions({ rows: 5000, seed: 9 });
    const directory = join(scratch, 'many');
    mkdirSync(directory);
    for (let i = 0; i < 5; i++) writeFileSync(join(directory, `part-${i}.csv`), datasetToCsv({ ...dataset, rows: dataset.rows.slice(i * 1000, (i + 1) * 1000) }));
    datasetUri = await session.uploadInitialData(teamDataset(config, { file: directory, rows: 5000 }).initial());
    // WHEN a run processes it
    const arn = await session.startTraining('sharded', 'five objects in three shards', datasetUri);
    run = await session.execution(arn).done;
  }, 600_000);

  /** What a run's processing wrote (its shards' own outputs aside), by key under processed/, its run folder named <run>. */
  async function outputs(run: string): Promise<Map<string, string>> {
    const prefix = `runs/${run}/processed/`;
    const keys = (await listKeys(session.s3, bucket, prefix)).filter((key) => !key.startsWith(`${prefix}shards/`));
    // The sorted-values objects are binary; the rest is text that names its run's folder.
    const text = (key: string, bytes: Buffer) => bytes.toString(key.endsWith('.f64') ? 'base64' : 'utf8');
    return new Map(
      await Promise.all(
        keys.map(async (key) => [key.slice(prefix.length), text(key, await getObjectBytes(session.s3, bucket, key)).replaceAll(`runs/${run}/`, 'runs/<run>/')] as const),
      ),
    );
  }

  afterAll(async () => {
    session?.close();
    await team?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('runs the array job of 3 shards and the merge, and the run succeeds', async () => {
    expect(datasetUri).toBe(`s3://${bucket}/datasets/card-fraud/`);
    expect(run).toMatchObject({ status: 'SUCCEEDED' });
    const shardSummaries = (await listKeys(session.s3, bucket, 'runs/sharded/processed/shards/')).filter((key) => key.endsWith('summary.json'));
    expect(shardSummaries).toEqual([0, 1, 2].map((i) => `runs/sharded/processed/shards/${i}/summary.json`));
  });

  it('records a run whose merge job fails as failed, after its shards ran', async () => {
    // GIVEN the merge job's host lost under it, as the twin's Batch fault makes it: a job that may have written part of
    // its outputs is not run again
    const restore = team.twin.batch.failJobs(({ jobName }) => jobName === 'merge-shards');
    try {
      // WHEN a run processes the same dataset
      const failed = await session.execution(await session.startTraining('merge-lost', 'the merge job loses its host', datasetUri)).done;
      // THEN the run records its failure and ends with the job's
      expect(failed).toMatchObject({ status: 'FAILED', error: 'States.TaskFailed' });
      expect(entered(failed).slice(-4)).toEqual(['Process', 'MergeShards', 'RecordFailure', 'RunFailed']);
      expect(failed.cause).toContain('Host EC2 (instance i-0twin) terminated.');
      expect((JSON.parse(failed.cause!) as { Attempts: unknown[] }).Attempts).toHaveLength(1);
    } finally {
      restore();
    }
  });

  it('runs again a shard whose task failed to start, and the run writes the same outputs', async () => {
    // GIVEN shard 1's first attempt fails before its container runs, as a Fargate task that could not start
    const notStarted = { statusReason: 'ResourceInitializationError: failed to configure the network interface in time' };
    const restore = team.twin.batch.failJobs(({ jobName, attempt }) => jobName === 'process-shards:1' && attempt === 1, notStarted);
    try {
      // WHEN a run processes the same dataset
      const retried = await session.execution(await session.startTraining('shard-retried', "a shard's first attempt does not start", datasetUri)).done;
      // THEN Batch runs the shard again, as the job definition's retry strategy says, and the run succeeds with the same outputs
      expect(retried).toMatchObject({ status: 'SUCCEEDED' });
      expect(team.twin.timeline.entries.map((entry) => entry.message)).toContain(
        `job process-shards:1 attempt 1 of 3 failed: ${notStarted.statusReason}; Batch runs it again`,
      );
      expect(await outputs('shard-retried')).toEqual(await outputs('sharded'));
    } finally {
      restore();
    }
  });

  it("writes the splits, baseline and lineage of one processing job, to the byte", async () => {
    await processDataset(session.s3, {
      inputUri: datasetUri,
      outputUri: `s3://${bucket}/runs/one-job/processed/`,
      config,
      splitSeed: String(config.training.hyperparameters.seed),
    });
    const sharded = await outputs('sharded');
    const oneJob = await outputs('one-job');
    expect([...sharded.keys()]).toEqual(expect.arrayContaining(['train/data.csv', 'validation/data.csv', 'holdout/data.csv', 'baseline.json', 'dataset.json']));
    expect(sharded).toEqual(oneJob);
  });
});
