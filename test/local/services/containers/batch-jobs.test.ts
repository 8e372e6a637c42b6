import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { CfnOutput } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SynthesizedApp } from '../../../../local/assembly/synthesized-app';
import { BatchJobs } from '../../../../local/services/containers/batch-jobs';
import { Timeline } from '../../../../local/timeline';
import { type LocalS3, startS3rver } from '../../../helpers/s3rver';
import { readApp, synthesize } from '../../support/synth';

const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'python-processing-image');
const PREBUILT_IMAGE = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0-cpu-py310';

/** `batch:submitJob.sync` with a Python processing container (an image asset) and with an image given by URI. */
describe('Batch jobs of a Python processing container', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'python-batch-'));
  let s3: LocalS3;
  let jobs: BatchJobs;
  let outputs: Record<string, string>;
  const logLines: string[] = [];
  const timeline = new Timeline();
  // A cache of this file's own, so that the first job creates its image's Python environment.
  const previousCache = process.env.MLOPS_CACHE_DIR;

  beforeAll(async () => {
    process.env.MLOPS_CACHE_DIR = join(scratch, 'cache');
    const outdir = synthesize((stack) => {
      const image = new DockerImageAsset(stack, 'Processing', { directory: FIXTURE });
      const definition = (id: string, imageUri: string) =>
        new batch.CfnJobDefinition(stack, id, {
          type: 'container',
          parameters: { seed: '7' },
          containerProperties: {
            image: imageUri,
            command: ['process', '--seed', 'Ref::seed'],
            environment: [{ name: 'OUTPUT_URI', value: 's3://data/processed/' }],
          },
        });
      new CfnOutput(stack, 'AssetJob', { value: definition('AssetJobDefinition', image.imageUri).ref });
      new CfnOutput(stack, 'PrebuiltJob', { value: definition('PrebuiltJobDefinition', PREBUILT_IMAGE).ref });
    });
    const app = readApp(outdir);
    outputs = Object.values(app.outputs())[0];
    s3 = await startS3rver(['data']);
    await s3.put('data', 'raw/data.csv', 'a,b\n1,2\n3,4\n5,6\n');
    jobs = new BatchJobs(app, { twinUrl: 'http://127.0.0.1:9', dynamodb: 'http://127.0.0.1:9', s3: s3.endpoint }, timeline, undefined, (job, line) => logLines.push(`${job}: ${line}`));
  }, 120_000);

  afterAll(async () => {
    if (previousCache === undefined) delete process.env.MLOPS_CACHE_DIR;
    else process.env.MLOPS_CACHE_DIR = previousCache;
    await s3?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const submit = (definition: string, inputUri: string) =>
    jobs.submitJobSync({
      JobDefinition: outputs[definition],
      JobName: 'process-run-1',
      JobQueue: 'arn:aws:batch:eu-west-1:000000000000:job-queue/processing',
      ContainerOverrides: { Environment: [{ Name: 'INPUT_URI', Value: inputUri }] },
    });

  it('runs process.py with the job\'s command (Ref:: parameters filled in) and an environment that reaches the local S3', async () => {
    const description = (await submit('AssetJob', 's3://data/raw/data.csv')) as { Status: string; JobId: string };

    expect(description.Status).toBe('SUCCEEDED');
    const summary = await s3.client.send(new GetObjectCommand({ Bucket: 'data', Key: 'processed/summary.json' }));
    expect(JSON.parse(await summary.Body!.transformToString())).toEqual({
      rows: 3,
      args: ['process', '--seed', '7'],
      job_id: description.JobId,
      region: 'eu-west-1',
      python_unbuffered: '1',
    });
    expect(logLines).toContain('process-run-1: processed 3 rows');
  });

  it("says on the timeline that the first job creates the image's Python environment, and when it is done", () => {
    const messages = timeline.entries.filter((entry) => entry.kind === 'batch').map((entry) => entry.message);

    expect(messages).toContainEqual(
      expect.stringMatching(
        new RegExp(`^job process-run-1: creating the Python environment of .*/asset\\.[0-9a-f]+ from requirements\\.txt \\(sha256 [0-9a-f]{12}\\.\\.\\.\\) in ${join(scratch, 'cache')}/python-environments/[0-9a-f]{64}: 0 pinned packages; later runs reuse it$`),
      ),
    );
    expect(messages).toContainEqual(expect.stringMatching(/^job process-run-1: created the Python environment [0-9a-f]{12} in \d+\.\d s$/));
    expect(messages.filter((message) => message.includes('creating the Python environment'))).toHaveLength(1);
  });

  it('fails with the exception of the traceback a crashing script printed', async () => {
    const error = await submit('AssetJob', 's3://data/raw/missing.csv').then(
      () => expect.fail('the job should have failed'),
      (err: Error) => err,
    );

    expect(error.name).toBe('States.TaskFailed');
    expect(JSON.parse(error.message)).toMatchObject({
      Status: 'FAILED',
      StatusReason: 'Essential container in task exited: urllib.error.HTTPError: HTTP Error 404: Not Found (exit code 1)',
    });
  });

  it('refuses an image given by URI, saying the twin runs only images the app builds and how to label one', async () => {
    await expect(submit('PrebuiltJob', 's3://data/raw/data.csv')).rejects.toMatchObject({
      name: 'ContainerImageError',
      message: expect.stringMatching(
        /^image 763104351884\.dkr\.ecr\.us-east-1\.amazonaws\.com\/pytorch-training:2\.1\.0-cpu-py310 is not built by the app: the twin runs only images the app builds from a Dockerfile directory .*LABEL mlops\.local-entrypoint="<entry\.py or entry\.ts>"/,
      ),
    });
  });
});

const ARRAY_FIXTURE = join(__dirname, '..', '..', 'fixtures', 'array-child-image');

interface ChildRecord {
  index: string;
  job_id: string;
  attempt: number;
  args: string[];
  label: string;
  started: number;
  ended: number;
}

/** Array jobs (ArrayProperties.Size): children as local processes, a few at a time, and the parent's outcome. */
describe('Batch array jobs', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'array-batch-'));
  const concurrency = 3;
  let app: SynthesizedApp;
  let jobs: BatchJobs;
  let outputs: Record<string, string>;
  let run = 0;
  const endpoints = { twinUrl: 'http://127.0.0.1:9', dynamodb: 'http://127.0.0.1:9', s3: 'http://127.0.0.1:9' };
  const logLines: string[] = [];
  const timeline = new Timeline();
  const previousCache = process.env.MLOPS_CACHE_DIR;

  beforeAll(() => {
    process.env.MLOPS_CACHE_DIR = join(scratch, 'cache');
    const outdir = synthesize((stack) => {
      const image = new DockerImageAsset(stack, 'Child', { directory: ARRAY_FIXTURE });
      const definition = new batch.CfnJobDefinition(stack, 'ChildJobDefinition', {
        type: 'container',
        parameters: { shard: 'all' },
        retryStrategy: { attempts: 2 },
        containerProperties: { image: image.imageUri, command: ['--shard', 'Ref::shard'], environment: [{ name: 'OUTPUT_LABEL', value: 'definition' }] },
      });
      new CfnOutput(stack, 'ChildJob', { value: definition.ref });
    });
    app = readApp(outdir);
    outputs = Object.values(app.outputs())[0];
    jobs = new BatchJobs(app, endpoints, timeline, undefined, (job, line) => logLines.push(`${job}: ${line}`), concurrency);
  });

  afterAll(() => {
    if (previousCache === undefined) delete process.env.MLOPS_CACHE_DIR;
    else process.env.MLOPS_CACHE_DIR = previousCache;
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Submits the job with its own output directory; returns the task's result or error and the children's records. */
  async function submit(extra: Record<string, unknown>, environment: Array<{ Name: string; Value: string }> = [], runner = jobs) {
    const outputDir = join(scratch, `run-${++run}`);
    mkdirSync(outputDir);
    const outcome = await runner
      .submitJobSync({
        JobDefinition: outputs.ChildJob,
        JobName: 'shards',
        JobQueue: 'arn:aws:batch:eu-west-1:000000000000:job-queue/processing',
        ContainerOverrides: { Environment: [{ Name: 'OUTPUT_DIR', Value: outputDir }, { Name: 'OUTPUT_LABEL', Value: 'override' }, ...environment] },
        ...extra,
      })
      .then(
        (result) => ({ result: result as Record<string, unknown>, error: undefined }),
        (error: Error) => ({ result: undefined, error }),
      );
    const records = readdirSync(outputDir)
      .sort()
      .map((file) => ({ file, ...(JSON.parse(readFileSync(join(outputDir, file), 'utf8')) as ChildRecord) }));
    return { ...outcome, records };
  }

  /** The most children whose recorded run times overlap at one instant. */
  function mostAtOnce(records: readonly ChildRecord[]): number {
    const events = records.flatMap((record) => [
      [record.started, 1],
      [record.ended, -1],
    ]);
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let running = 0;
    let most = 0;
    for (const [, change] of events) most = Math.max(most, (running += change));
    return most;
  }

  it('runs Size children, each with its index, the id <parent>:<index> and the parent\'s overrides, at most the limit at once', async () => {
    const { result, error, records } = await submit({ ArrayProperties: { Size: 7 }, Parameters: { shard: 'even' } });

    expect(error).toBeUndefined();
    const parentId = String(result!.JobId);
    expect(records.map((record) => [record.index, record.job_id, record.attempt])).toEqual(
      [0, 1, 2, 3, 4, 5, 6].map((index) => [String(index), `${parentId}:${index}`, 1]),
    );
    expect(new Set(records.map((record) => `${record.label} ${record.args.join(' ')}`))).toEqual(new Set(['override --shard even']));
    expect(mostAtOnce(records)).toBe(concurrency);
    expect(logLines).toContain('shards:5: child 5 attempt 1 wrote its record');
  }, 120_000);

  it('answers with the parent as DescribeJobs shows an array parent: Size and a count of children per status', async () => {
    const { result } = await submit({ ArrayProperties: { Size: 2 } });

    expect(result).toMatchObject({
      JobName: 'shards',
      Status: 'SUCCEEDED',
      ArrayProperties: { Size: 2, StatusSummary: { STARTING: 0, FAILED: 0, RUNNING: 0, SUCCEEDED: 2, RUNNABLE: 0, SUBMITTED: 0, PENDING: 0 } },
      Container: { Command: ['--shard', 'all'] },
    });
    expect(result!.JobArn).toBe(`arn:aws:batch:eu-west-1:000000000000:job/${String(result!.JobId)}`);
    expect(result).not.toHaveProperty('StatusReason');
  }, 60_000);

  it('fails the task when a child fails after its retries, once every other child has run, with the parent as the cause', async () => {
    const { error, records } = await submit({ ArrayProperties: { Size: 5 } }, [{ Name: 'FAIL_INDEX', Value: '3' }]);

    expect(records.map((record) => record.file)).toEqual(['0-1.json', '1-1.json', '2-1.json', '3-1.json', '3-2.json', '4-1.json']);
    expect(error!.name).toBe('States.TaskFailed');
    expect(JSON.parse(error!.message)).toMatchObject({
      Status: 'FAILED',
      StatusReason: 'Array Child Job failed',
      ArrayProperties: { Size: 5, StatusSummary: { SUCCEEDED: 4, FAILED: 1, RUNNING: 0, PENDING: 0 } },
    });
    const messages = timeline.entries.map((entry) => entry.message);
    expect(messages).toContain('job shards:3 attempt 1 of 2 failed: child 3 attempt 1 started | child 3 attempt 1 wrote its record | child 3 fails on purpose (exit code 1); Batch runs it again');
    expect(messages).toContain(
      'job shards:3 FAILED (exit 1): Essential container in task exited: child 3 attempt 2 started | child 3 attempt 2 wrote its record | child 3 fails on purpose (exit code 1)',
    );
    expect(messages).toContain('job shards FAILED: 4 of 5 children succeeded; failed: 3');
  }, 120_000);

  it("takes the submission's RetryStrategy over the definition's: EXIT on an exit code runs a failed child once", async () => {
    const { error, records } = await submit(
      { ArrayProperties: { Size: 2 }, RetryStrategy: { Attempts: 3, EvaluateOnExit: [{ OnExitCode: '1', Action: 'exit' }] } },
      [{ Name: 'FAIL_INDEX', Value: '0' }],
    );

    expect(error!.name).toBe('States.TaskFailed');
    expect(records.map((record) => record.file)).toEqual(['0-1.json', '1-1.json']);
  }, 60_000);

  it('retries a single job as its RetryStrategy says and lists every attempt in the failed description', async () => {
    const { error, records } = await submit({}, [{ Name: 'FAIL_INDEX', Value: 'single' }]);

    expect(records.map((record) => record.file)).toEqual(['single-1.json', 'single-2.json']);
    const description = JSON.parse(error!.message) as { Status: string; Attempts: Array<{ Container: { ExitCode: number } }> };
    expect(description.Status).toBe('FAILED');
    expect(description.Attempts.map((attempt) => attempt.Container.ExitCode)).toEqual([1, 1]);
  }, 60_000);

  it("runs a child again whose task failed to start (failJobs), as the RetryStrategy says, and the parent succeeds", async () => {
    const notStarted = { statusReason: 'Task failed to start', reason: 'CannotPullContainerError: pull rate limit exceeded' };
    const restore = jobs.failJobs(({ jobName, attempt }) => jobName === 'shards:1' && attempt === 1, notStarted);
    try {
      const { result, error, records } = await submit({ ArrayProperties: { Size: 3 } });

      expect(error).toBeUndefined();
      expect(result).toMatchObject({ Status: 'SUCCEEDED', ArrayProperties: { StatusSummary: { SUCCEEDED: 3, FAILED: 0 } } });
      // The first attempt of child 1 never ran its container: its only record is its second attempt's.
      expect(records.map((record) => record.file)).toEqual(['0-1.json', '1-2.json', '2-1.json']);
      expect(timeline.entries.map((entry) => entry.message)).toContain(
        'job shards:1 attempt 1 of 2 failed: CannotPullContainerError: pull rate limit exceeded; Batch runs it again',
      );
    } finally {
      restore();
    }
  }, 60_000);

  it('ends a job whose attempt failed before its container ran when the RetryStrategy says EXIT, with no exit code', async () => {
    const restore = jobs.failJobs(() => true);
    try {
      const { error, records } = await submit({ RetryStrategy: { Attempts: 3, EvaluateOnExit: [{ OnStatusReason: 'Host EC2*', Action: 'EXIT' }] } });

      expect(records).toEqual([]);
      const description = JSON.parse(error!.message) as { Status: string; StatusReason: string; Attempts: Array<{ Container: Record<string, unknown> }> };
      expect(description).toMatchObject({ Status: 'FAILED', StatusReason: 'Host EC2 (instance i-0twin) terminated.' });
      expect(description.Attempts).toHaveLength(1);
      expect(description.Attempts[0].Container).not.toHaveProperty('ExitCode');
      expect(timeline.entries.map((entry) => entry.message)).toContain('job shards FAILED (no exit code): Host EC2 (instance i-0twin) terminated.');
    } finally {
      restore();
    }
  }, 60_000);

  it("runs at most the machine's cores at once when the twin is given no limit", async () => {
    const cores = availableParallelism();
    const byDefault = new BatchJobs(app, endpoints, new Timeline());

    const { error, records } = await submit({ ArrayProperties: { Size: cores + 2 } }, [], byDefault);

    expect(error).toBeUndefined();
    expect(records).toHaveLength(cores + 2);
    expect(mostAtOnce(records)).toBe(cores);
  }, 60_000);

  it('refuses a limit that is not a whole number of at least 1', () => {
    expect(() => new BatchJobs(app, endpoints, new Timeline(), undefined, undefined, 0)).toThrow(
      'Batch array concurrency must be a whole number of at least 1, got 0',
    );
  });

  it('starts no child once the twin stops: the running one is stopped and not retried, the others stay PENDING', async () => {
    const stopping = new AbortController();
    // Stopped as soon as the first child says it started.
    const oneAtATime = new BatchJobs(app, endpoints, new Timeline(), stopping.signal, () => stopping.abort(), 1);

    const { error, records } = await submit({ ArrayProperties: { Size: 4 } }, [{ Name: 'HOLD_SECONDS', Value: '30' }], oneAtATime);

    expect(records).toEqual([]);
    expect(JSON.parse(error!.message)).toMatchObject({
      Status: 'FAILED',
      ArrayProperties: { StatusSummary: { SUCCEEDED: 0, FAILED: 1, RUNNING: 0, PENDING: 3 } },
    });
  }, 60_000);

  it.each([
    [{ ArrayProperties: { Size: 1 } }, 'Batch.ClientException', 'ArrayProperties.Size: an array job has 2 to 10,000 children'],
    [{ ArrayProperties: { Size: 10_001 } }, 'Batch.ClientException', 'ArrayProperties.Size: an array job has 2 to 10,000 children'],
    [{ RetryStrategy: { Attempts: 11 } }, 'Batch.ClientException', 'RetryStrategy.Attempts: Too big: expected number to be <=10'],
    [
      { ArrayProperties: { Size: 4 }, DependsOn: [{ Type: 'SEQUENTIAL' }] },
      'States.Runtime',
      'batch:submitJob.sync with DependsOn: the twin does not run a SEQUENTIAL dependency (array children run one after another, in index order); it runs array children at most a few at a time in no set order. Chain the jobs as states instead, or remove DependsOn',
    ],
    [
      { ArrayProperties: { Size: 4 }, DependsOn: [{ JobId: 'other', Type: 'N_TO_N' }] },
      'States.Runtime',
      expect.stringContaining('the twin does not run an N_TO_N dependency (each array child waits for the same index of another array job)'),
    ],
    [{ DependsOn: [{ JobId: 'earlier-job' }] }, 'States.Runtime', expect.stringContaining('the twin does not run a dependency on job earlier-job;')],
  ])('refuses %j before any child runs (%s)', async (extra, name, message) => {
    const { error, records } = await submit(extra);

    expect(error).toMatchObject({ name, message });
    expect(records).toEqual([]);
  });
});
