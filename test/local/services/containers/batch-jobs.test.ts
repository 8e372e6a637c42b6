import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { CfnOutput } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
