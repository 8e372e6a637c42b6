import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import * as tar from 'tar';
import type { SynthesizedApp } from '../../assembly/synthesized-app';
import type { Timeline } from '../../timeline';
import { awsClientEnvironment, hostBasics, LOCAL_CREDENTIALS, type ServiceEndpoints } from '../aws-environment';
import { TaskError } from '../states/task-error';
import { localEntrypoint, runContainer } from './container-process';

interface Channel {
  ChannelName: string;
  ContentType?: string;
  DataSource: { S3DataSource: { S3Uri: string; S3DataType?: string; S3DataDistributionType?: string } };
}

/**
 * `sagemaker:createTrainingJob.sync` on the SageMaker training container contract: each input channel is downloaded
 * from S3 into `<root>/input/data/<channel>/`, hyperparameters (strings), resourceconfig.json and inputdataconfig.json
 * go to `<root>/input/config/`, the image's local entrypoint runs with the argument `train` and the SM_* variables
 * of the SageMaker training toolkit (plus SM_ROOT, the /opt/ml stand-in), `<root>/model` is packed into
 * `<S3OutputPath>/<TrainingJobName>/output/model.tar.gz`, and `<root>/output/failure` becomes the FailureReason.
 */
export class SageMakerTraining {
  private readonly jobNames = new Set<string>();

  constructor(
    private readonly app: SynthesizedApp,
    private readonly endpoints: ServiceEndpoints,
    private readonly timeline: Timeline,
    private readonly workDirectory: string = tmpdir(),
    /** Aborted when the twin stops: running jobs are ended with it. */
    private readonly signal?: AbortSignal,
  ) {}

  async createTrainingJobSync(parameters: Record<string, unknown>): Promise<unknown> {
    const name = String(parameters.TrainingJobName);
    if (this.jobNames.has(name)) throw new TaskError('SageMaker.ResourceInUseException', `Training job names must be unique within an AWS account and region, and a training job with this name already exists (${name})`);
    this.jobNames.add(name);
    const algorithm = parameters.AlgorithmSpecification as { TrainingImage: string };
    const output = parameters.OutputDataConfig as { S3OutputPath: string };
    const hyperparameters = (parameters.HyperParameters as Record<string, string>) ?? {};
    const channels = (parameters.InputDataConfig as Channel[]) ?? [];
    const s3 = new S3Client({
      region: this.app.env.region,
      endpoint: this.endpoints.s3,
      forcePathStyle: true,
      credentials: LOCAL_CREDENTIALS,
    });
    mkdirSync(this.workDirectory, { recursive: true });
    const root = mkdtempSync(join(this.workDirectory, `training-${name}-`));
    const started = new Date();
    const describe = (status: 'Completed' | 'Failed', extra: Record<string, unknown>) => ({
      TrainingJobName: name,
      TrainingJobArn: `arn:${this.app.env.partition}:sagemaker:${this.app.env.region}:${this.app.env.accountId}:training-job/${name.toLowerCase()}`,
      TrainingJobStatus: status,
      SecondaryStatus: status,
      AlgorithmSpecification: parameters.AlgorithmSpecification,
      HyperParameters: hyperparameters,
      InputDataConfig: channels,
      OutputDataConfig: parameters.OutputDataConfig,
      ResourceConfig: parameters.ResourceConfig,
      StoppingCondition: parameters.StoppingCondition,
      RoleArn: parameters.RoleArn,
      CreationTime: started.toISOString(),
      TrainingStartTime: started.toISOString(),
      TrainingEndTime: new Date().toISOString(),
      LastModifiedTime: new Date().toISOString(),
      ...extra,
    });
    this.timeline.add('sagemaker', `training job ${name} started`);
    try {
      const channelDirs: Record<string, string> = {};
      for (const channel of channels) {
        channelDirs[channel.ChannelName] = join(root, 'input', 'data', channel.ChannelName);
        await download(s3, channel.DataSource.S3DataSource.S3Uri, channelDirs[channel.ChannelName]);
      }
      const configDir = join(root, 'input', 'config');
      mkdirSync(configDir, { recursive: true });
      writeFileSync(join(configDir, 'hyperparameters.json'), JSON.stringify(Object.fromEntries(Object.entries(hyperparameters).map(([k, v]) => [k, String(v)]))));
      writeFileSync(join(configDir, 'resourceconfig.json'), JSON.stringify({ current_host: 'algo-1', hosts: ['algo-1'], network_interface_name: 'eth0' }));
      writeFileSync(
        join(configDir, 'inputdataconfig.json'),
        JSON.stringify(Object.fromEntries(channels.map((c) => [c.ChannelName, { ContentType: c.ContentType, TrainingInputMode: 'File', S3DistributionType: c.DataSource.S3DataSource.S3DataDistributionType ?? 'FullyReplicated', RecordWrapperType: 'None' }]))),
      );
      for (const dir of ['model', 'output/data']) mkdirSync(join(root, dir), { recursive: true });
      const env: Record<string, string> = {
        ...hostBasics(),
        ...awsClientEnvironment(this.endpoints, this.app.env.region),
        ...((parameters.Environment as Record<string, string>) ?? {}),
        TRAINING_JOB_NAME: name,
        SM_ROOT: root,
        SM_MODEL_DIR: join(root, 'model'),
        SM_INPUT_DIR: join(root, 'input'),
        SM_INPUT_CONFIG_DIR: configDir,
        SM_OUTPUT_DIR: join(root, 'output'),
        SM_OUTPUT_DATA_DIR: join(root, 'output', 'data'),
        SM_CHANNELS: JSON.stringify(Object.keys(channelDirs)),
        SM_HPS: JSON.stringify(hyperparameters),
        SM_CURRENT_HOST: 'algo-1',
        SM_HOSTS: JSON.stringify(['algo-1']),
        ...Object.fromEntries(Object.entries(channelDirs).map(([c, dir]) => [`SM_CHANNEL_${c.toUpperCase()}`, dir])),
      };
      const run = await runContainer(localEntrypoint(this.app.assembly, algorithm.TrainingImage), { env, args: ['train'], signal: this.signal });
      if (run.exitCode !== 0) {
        const failureFile = join(root, 'output', 'failure');
        const reason = existsSync(failureFile) ? readFileSync(failureFile, 'utf8').trim() : run.tail.slice(-3).join(' | ');
        this.timeline.add('sagemaker', `training job ${name} Failed: ${reason}`);
        throw new TaskError('States.TaskFailed', JSON.stringify(describe('Failed', { FailureReason: `AlgorithmError: ${reason}` })));
      }
      const outputLocation = parseUri(output.S3OutputPath);
      const key = `${outputLocation.key.replace(/\/$/, '')}${outputLocation.key ? '/' : ''}${name}/output/model.tar.gz`;
      const bucket = outputLocation.bucket;
      const artifactUri = `s3://${bucket}/${key}`;
      const archive = join(root, 'model.tar.gz');
      await tar.c({ gzip: true, cwd: join(root, 'model'), file: archive, portable: true }, readdirSync(join(root, 'model')));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(archive) }));
      this.timeline.add('sagemaker', `training job ${name} Completed: ${artifactUri}`);
      return describe('Completed', { ModelArtifacts: { S3ModelArtifacts: artifactUri } });
    } finally {
      s3.destroy();
      rmSync(root, { recursive: true, force: true });
    }
  }
}

/** Copies every object under an S3 prefix (or one object) into a directory, keeping the key's relative path. */
async function download(s3: S3Client, uri: string, directory: string): Promise<void> {
  const { bucket, key: prefix } = parseUri(uri);
  let token: string | undefined;
  let count = 0;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      if (!object.Key || object.Key.endsWith('/')) continue;
      const relative = object.Key.slice(prefix.length).replace(/^\//, '') || object.Key.split('/').pop()!;
      const target = join(directory, relative);
      mkdirSync(dirname(target), { recursive: true });
      const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
      writeFileSync(target, Buffer.from(await body.Body!.transformToByteArray()));
      count++;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  if (count === 0) throw new TaskError('States.TaskFailed', `ClientError: no objects under the channel URI ${uri}`);
}

/** SageMaker takes S3 locations as `s3://bucket/key` or as path- or virtual-hosted-style HTTPS URLs. */
function parseUri(uri: string): { bucket: string; key: string } {
  const match =
    /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri) ??
    /^https:\/\/s3[.-][a-z0-9.-]*amazonaws\.com(?:\.cn)?\/([^/]+)\/?(.*)$/.exec(uri) ??
    /^https:\/\/([^/]+)\.s3[.-][a-z0-9.-]*amazonaws\.com(?:\.cn)?\/?(.*)$/.exec(uri);
  if (!match) throw new TaskError('States.TaskFailed', `ClientError: "${uri}" is not an S3 location`);
  return { bucket: match[1], key: match[2] };
}
