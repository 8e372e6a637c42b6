import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CfnOutput } from 'aws-cdk-lib';
import { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SynthesizedApp } from '../../../../local/assembly/synthesized-app';
import { SageMakerTraining } from '../../../../local/services/containers/sagemaker-training';
import { Timeline } from '../../../../local/timeline';
import { type LocalS3, startS3rver } from '../../../helpers/s3rver';
import { readApp, synthesize } from '../../support/synth';

const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'python-trainer-image');

interface ContractReport {
  host: string;
  hosts: string[];
  args: string[];
  cwd: string;
  rows: number;
  column_means: number[];
  hyperparameters: Record<string, string>;
  resourceconfig: { current_host: string; hosts: string[] };
  inputdataconfig: Record<string, { S3DistributionType: string }>;
  channels: string[];
  channel_files: string[];
  env: Record<string, string | null>;
}

interface JobDescription {
  TrainingJobStatus: string;
  SecondaryStatus: string;
  FailureReason?: string;
  ModelArtifacts?: { S3ModelArtifacts: string };
  EnableManagedSpotTraining: boolean;
  TrainingTimeInSeconds: number;
  BillableTimeInSeconds: number;
}

/** A Python training container (in the virtual environment of its requirements.txt: numpy) run by the twin's SageMaker training against s3rver. */
describe('SageMaker training of a Python container', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'python-training-'));
  let app: SynthesizedApp;
  let imageUri: string;
  let s3: LocalS3;
  let training: SageMakerTraining;
  const logLines: string[] = [];

  beforeAll(async () => {
    const outdir = synthesize((stack) => {
      const image = new DockerImageAsset(stack, 'PythonTrainer', { directory: FIXTURE });
      new CfnOutput(stack, 'TrainerImage', { value: image.imageUri });
    });
    app = readApp(outdir);
    imageUri = Object.values(app.outputs())[0].TrainerImage;
    s3 = await startS3rver(['data']);
    await s3.put('data', 'good/part-1.csv', 'a,b\n1,2\n3,4\n');
    await s3.put('data', 'good/part-2.csv', 'a,b\n5,6\n');
    await s3.put('data', 'bad/part-1.csv', 'a,b\npoison,2\n');
    const endpoints = { twinUrl: 'http://127.0.0.1:9', dynamodb: 'http://127.0.0.1:9', s3: s3.endpoint };
    training = new SageMakerTraining(app, endpoints, new Timeline(), join(scratch, 'work'), undefined, (job, host, line) => logLines.push(`${job}/${host}: ${line}`));
  }, 120_000);

  afterAll(async () => {
    await s3?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  function request(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      TrainingJobName: name,
      AlgorithmSpecification: { TrainingImage: imageUri, TrainingInputMode: 'File' },
      HyperParameters: { depth: '3' },
      InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3Uri: 's3://data/good/', S3DataType: 'S3Prefix' } } }],
      OutputDataConfig: { S3OutputPath: 's3://data/models/' },
      ResourceConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 10 },
      StoppingCondition: { MaxRuntimeInSeconds: 600 },
      RoleArn: 'arn:aws:iam::000000000000:role/training',
      ...overrides,
    };
  }

  async function failureOf(job: Promise<unknown>): Promise<JobDescription> {
    const error = await job.then(
      () => expect.fail('the job should have failed'),
      (err: Error) => err,
    );
    expect(error.name).toBe('States.TaskFailed');
    return JSON.parse(error.message) as JobDescription;
  }

  async function modelFiles(archiveUri: string): Promise<Record<string, unknown>> {
    const key = archiveUri.replace('s3://data/', '');
    const body = await s3.client.send(new GetObjectCommand({ Bucket: 'data', Key: key }));
    const directory = mkdtempSync(join(scratch, 'model-'));
    const file = join(directory, 'model.tar.gz');
    writeFileSync(file, Buffer.from(await body.Body!.transformToByteArray()));
    mkdirSync(join(directory, 'x'));
    await tar.x({ file, cwd: join(directory, 'x') });
    const entries: string[] = [];
    await tar.t({ file, onReadEntry: (entry) => void entries.push(entry.path) });
    return Object.fromEntries(entries.map((path) => [path, JSON.parse(readFileSync(join(directory, 'x', path), 'utf8'))]));
  }

  async function s3Json(key: string): Promise<unknown> {
    const body = await s3.client.send(new GetObjectCommand({ Bucket: 'data', Key: key }));
    return JSON.parse(await body.Body!.transformToString());
  }

  it("keeps algo-1's output data directory as output.tar.gz beside model.tar.gz, and writes none when the job left it empty", async () => {
    await training.createTrainingJobSync(request('py-output-data', { HyperParameters: { 'output-data': 'rows.json' } }));
    expect(await modelFiles('s3://data/models/py-output-data/output/output.tar.gz')).toEqual({ 'rows.json': { rows: 3, host: 'algo-1' } });

    await training.createTrainingJobSync(request('py-no-output-data'));
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'data', Prefix: 'models/py-no-output-data/' }));
    expect((listed.Contents ?? []).map((o) => o.Key)).toEqual(['models/py-no-output-data/output/model.tar.gz']);
  }, 120_000);

  it('runs train.py with the channel, hyperparameters, SM_* variables and `train`, and packs its model directory', async () => {
    const description = (await training.createTrainingJobSync(request('py-1', { Environment: { TEAM_SETTING: 'from the job' } }))) as JobDescription;

    expect(description).toMatchObject({ TrainingJobStatus: 'Completed', SecondaryStatus: 'Completed', EnableManagedSpotTraining: false });
    expect(description.ModelArtifacts!.S3ModelArtifacts).toBe('s3://data/models/py-1/output/model.tar.gz');
    expect(description.TrainingTimeInSeconds).toBeGreaterThanOrEqual(1);
    expect(description.BillableTimeInSeconds).toBe(description.TrainingTimeInSeconds);
    const files = await modelFiles(description.ModelArtifacts!.S3ModelArtifacts);
    expect(Object.keys(files)).toEqual(['model.json']);
    const report = files['model.json'] as ContractReport;
    const context = app.assembly.imageAsset(imageUri).directory;
    expect(report).toMatchObject({
      host: 'algo-1',
      hosts: ['algo-1'],
      args: ['train'],
      cwd: context,
      rows: 3,
      column_means: [3, 4],
      hyperparameters: { depth: '3' },
      resourceconfig: { current_host: 'algo-1', hosts: ['algo-1'] },
      inputdataconfig: { train: { S3DistributionType: 'FullyReplicated' } },
      channels: ['train'],
      channel_files: ['part-1.csv', 'part-2.csv'],
      env: { SM_HPS: '{"depth":"3"}', SM_CURRENT_INSTANCE_TYPE: 'ml.m5.large', TRAINING_JOB_NAME: 'py-1', TEAM_SETTING: 'from the job', PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', AWS_ENDPOINT_URL_S3: s3.endpoint },
    });
    expect(report.env.SM_MODEL_DIR).toBe(join(report.env.SM_ROOT!, 'model'));
    expect(report.env.SM_CHANNEL_TRAIN).toBe(join(report.env.SM_ROOT!, 'input', 'data', 'train'));
    expect(report.env.SM_OUTPUT_DATA_DIR).toBe(join(report.env.SM_ROOT!, 'output', 'data'));
    // train.py imports report.py from the build context in cdk.out, which stays as synth wrote it.
    expect(existsSync(join(context, '__pycache__'))).toBe(false);
    expect(logLines).toEqual(expect.arrayContaining(["py-1/algo-1: algo-1: training with ['train']", 'py-1/algo-1: algo-1: done']));
  });

  it('passes ContainerArguments in place of `train`, and no argument when only ContainerEntrypoint is given', async () => {
    const withArguments = (await training.createTrainingJobSync(
      request('py-args', { AlgorithmSpecification: { TrainingImage: imageUri, ContainerEntrypoint: ['python3', '/opt/program/train.py'], ContainerArguments: ['--epochs', '3'] } }),
    )) as JobDescription;
    const entrypointOnly = (await training.createTrainingJobSync(
      request('py-entrypoint', { AlgorithmSpecification: { TrainingImage: imageUri, ContainerEntrypoint: ['python3', '/opt/program/train.py'] } }),
    )) as JobDescription;

    expect(((await modelFiles(withArguments.ModelArtifacts!.S3ModelArtifacts))['model.json'] as ContractReport).args).toEqual(['--epochs', '3']);
    expect(((await modelFiles(entrypointOnly.ModelArtifacts!.S3ModelArtifacts))['model.json'] as ContractReport).args).toEqual([]);
  });

  it('fails with the failure file as the FailureReason', async () => {
    const description = await failureOf(training.createTrainingJobSync(request('py-fail', { HyperParameters: { mode: 'fail' } })));

    expect(description).toMatchObject({ TrainingJobStatus: 'Failed', FailureReason: 'AlgorithmError: algo-1 found the train channel too small' });
  });

  it('fails with the exception of a Python traceback when the container wrote no failure file', async () => {
    const job = request('py-traceback', { InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3Uri: 's3://data/bad/' } } }] });

    const description = await failureOf(training.createTrainingJobSync(job));

    expect(description.FailureReason).toBe("AlgorithmError: ValueError: could not convert string to float: 'poison' (exit code 1)");
  });

  it('runs one process per instance, each with its own resourceconfig.json, and packs only algo-1\'s model', async () => {
    const job = request('py-hosts', {
      ResourceConfig: { InstanceCount: 2, InstanceType: 'ml.m5.xlarge', VolumeSizeInGB: 10 },
      CheckpointConfig: { S3Uri: 's3://data/checkpoints/py-hosts/' },
    });

    const description = (await training.createTrainingJobSync(job)) as JobDescription;

    const files = await modelFiles(description.ModelArtifacts!.S3ModelArtifacts);
    expect(Object.keys(files)).toEqual(['model.json']);
    expect(files['model.json']).toMatchObject({ host: 'algo-1', hosts: ['algo-1', 'algo-2'], rows: 3 });
    for (const host of ['algo-1', 'algo-2']) {
      expect(await s3Json(`checkpoints/py-hosts/${host}.json`)).toMatchObject({
        host,
        hosts: ['algo-1', 'algo-2'],
        resourceconfig: { current_host: host, hosts: ['algo-1', 'algo-2'], current_instance_type: 'ml.m5.xlarge' },
        channel_files: ['part-1.csv', 'part-2.csv'],
      });
    }
  });

  it('gives host i of N every N-th object of a ShardedByS3Key channel', async () => {
    const job = request('py-sharded', {
      ResourceConfig: { InstanceCount: 2, InstanceType: 'ml.m5.large' },
      InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3Uri: 's3://data/good/', S3DataDistributionType: 'ShardedByS3Key' } } }],
      CheckpointConfig: { S3Uri: 's3://data/checkpoints/py-sharded/' },
    });

    await training.createTrainingJobSync(job);

    expect(await s3Json('checkpoints/py-sharded/algo-1.json')).toMatchObject({ channel_files: ['part-1.csv'] });
    expect(await s3Json('checkpoints/py-sharded/algo-2.json')).toMatchObject({ channel_files: ['part-2.csv'] });
  });

  it('fails the job when any host fails, naming that host, and stops the others', async () => {
    const job = request('py-host-fails', { HyperParameters: { mode: 'fail-on-algo-2' }, ResourceConfig: { InstanceCount: 3, InstanceType: 'ml.m5.large' } });
    const started = Date.now();

    const description = await failureOf(training.createTrainingJobSync(job));

    // algo-1 and algo-3 would sleep for a minute: the job ends as soon as algo-2 fails.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(description.FailureReason).toBe('AlgorithmError: algo-2: algo-2 found the train channel too small');
  });

  it('restores checkpoints from S3Uri before a managed spot run and uploads them after it, also when the run fails', async () => {
    await s3.put('data', 'checkpoints/py-spot/state.json', JSON.stringify({ runs: 4 }));
    const spot = {
      EnableManagedSpotTraining: true,
      StoppingCondition: { MaxRuntimeInSeconds: 600, MaxWaitTimeInSeconds: 1200 },
      CheckpointConfig: { S3Uri: 's3://data/checkpoints/py-spot', LocalPath: '/opt/ml/checkpoints' },
    };

    const completed = (await training.createTrainingJobSync(request('py-spot-1', spot))) as JobDescription;
    const failed = await failureOf(training.createTrainingJobSync(request('py-spot-2', { ...spot, HyperParameters: { mode: 'fail' } })));

    expect(completed).toMatchObject({ TrainingJobStatus: 'Completed', EnableManagedSpotTraining: true, CheckpointConfig: spot.CheckpointConfig });
    expect(completed.BillableTimeInSeconds).toBe(completed.TrainingTimeInSeconds);
    expect(failed.TrainingJobStatus).toBe('Failed');
    expect(await s3Json('checkpoints/py-spot/state.json')).toEqual({ runs: 6 });
    expect(await s3Json('checkpoints/py-spot/algo-1.json')).toMatchObject({ resumed_runs: 5 });
  });

  it('stops a job that runs longer than MaxRuntimeInSeconds, as SageMaker reports it', async () => {
    const started = Date.now();

    const description = await failureOf(
      training.createTrainingJobSync(request('py-slow', { HyperParameters: { mode: 'sleep' }, StoppingCondition: { MaxRuntimeInSeconds: 1 } })),
    );

    expect(Date.now() - started).toBeLessThan(15_000);
    expect(description).toMatchObject({
      TrainingJobStatus: 'Stopped',
      SecondaryStatus: 'MaxRuntimeExceeded',
      FailureReason: 'MaxRuntimeExceeded: the job ran longer than StoppingCondition.MaxRuntimeInSeconds (1 s) and was stopped',
    });
  });

  it('names the interpreter and the Debian packages to install when the Python interpreter is missing', async () => {
    const previous = process.env.MLOPS_PYTHON;
    process.env.MLOPS_PYTHON = join(scratch, 'no-such-python3');
    try {
      await expect(training.createTrainingJobSync(request('py-no-python'))).rejects.toMatchObject({
        name: 'ContainerImageError',
        message: expect.stringContaining(
          `the Python interpreter ${join(scratch, 'no-such-python3')} is not an executable file on this machine: install Debian's Python with venv support and the documented exception, PyTorch (apt-get install python3 python3-venv python3-torch), or set MLOPS_PYTHON`,
        ),
        cause: { code: 'InterpreterMissing' },
      });
    } finally {
      if (previous === undefined) delete process.env.MLOPS_PYTHON;
      else process.env.MLOPS_PYTHON = previous;
    }
  });

  it('refuses a checkpoint LocalPath outside /opt/ml, which the twin cannot relocate', async () => {
    const job = request('py-checkpoint-path', { CheckpointConfig: { S3Uri: 's3://data/checkpoints/x/', LocalPath: '/tmp/checkpoints' } });

    const description = await failureOf(training.createTrainingJobSync(job));

    expect(description.FailureReason).toMatch(/^ClientError: CheckpointConfig.LocalPath "\/tmp\/checkpoints" is outside \/opt\/ml/);
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'data', Prefix: 'checkpoints/x/' }));
    expect(listed.KeyCount).toBe(0);
  });

  it('fails with a ClientError when a channel has no objects or S3 refuses the download', async () => {
    const channel = (uri: string) => [{ ChannelName: 'train', DataSource: { S3DataSource: { S3Uri: uri } } }];

    const empty = await failureOf(training.createTrainingJobSync(request('py-empty', { InputDataConfig: channel('s3://data/nothing/') })));
    const noBucket = await failureOf(training.createTrainingJobSync(request('py-no-bucket', { InputDataConfig: channel('s3://no-such-bucket/train/') })));

    expect(empty.FailureReason).toBe("ClientError: no objects under the train channel's S3Uri s3://data/nothing/");
    expect(noBucket.FailureReason).toMatch(/^ClientError: S3 answered NoSuchBucket: /);
  });

  it.each([
    [{ HyperParameters: { depth: 3 } }, 'HyperParameters.depth: SageMaker takes hyperparameter values as strings'],
    [{ TrainingJobName: 'job_1' }, 'TrainingJobName: up to 63 letters, digits and hyphens, starting with a letter or digit'],
    [
      { InputDataConfig: [{ ChannelName: 'train data', DataSource: { S3DataSource: { S3Uri: 's3://data/good/' } } }] },
      'InputDataConfig.0.ChannelName: a channel name has letters, digits, ".", "-" and "_" only',
    ],
    [{ EnableManagedSpotTraining: true }, 'StoppingCondition.MaxWaitTimeInSeconds: managed spot training needs a MaxWaitTimeInSeconds'],
    [
      { EnableManagedSpotTraining: true, StoppingCondition: { MaxRuntimeInSeconds: 600, MaxWaitTimeInSeconds: 300 } },
      'StoppingCondition.MaxWaitTimeInSeconds: must be at least MaxRuntimeInSeconds (600), got 300',
    ],
    [
      { StoppingCondition: { MaxRuntimeInSeconds: 600, MaxWaitTimeInSeconds: 1200 } },
      'StoppingCondition.MaxWaitTimeInSeconds: is for managed spot training only (EnableManagedSpotTraining is not true)',
    ],
  ])('answers a request SageMaker would refuse with its ValidationException, naming the field (%j)', async (overrides, problem) => {
    await expect(training.createTrainingJobSync(request('py-invalid', overrides))).rejects.toMatchObject({
      name: 'SageMaker.AmazonSageMakerException',
      message: `ValidationException: ${problem}`,
    });
  });

});
