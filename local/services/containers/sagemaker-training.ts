import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import * as tar from 'tar';
import type { SynthesizedApp } from '../../assembly/synthesized-app';
import type { Timeline } from '../../timeline';
import { awsClientEnvironment, hostBasics, LOCAL_CREDENTIALS, type ServiceEndpoints } from '../aws-environment';
import { TaskError } from '../states/task-error';
import { type ContainerRun, type LocalEntrypoint, localEntrypoint, runContainer } from './container-process';
import { failureReasonFromOutput } from './failure-reason';
import { downloadObjects, listObjectKeys, parseS3Uri, S3LocationError, uploadDirectory } from './s3-transfer';
import { checkpointPathBelowRoot, hostEnvironment, hostNames, layOutHost, type TrainingHost } from './training-host';
import { describeTrainingJob, type SecondaryStatus, type TrainingJobStatus } from './training-job-description';
import { parseTrainingJobRequest, type TrainingJobRequest } from './training-job-request';

/** SageMaker's grace between the SIGTERM that stops a job and the SIGKILL: time to save a model or a checkpoint. */
const STOP_GRACE_MS = 120_000;

/** How a job ended when it did not complete, in DescribeTrainingJob's words. */
class JobEnd extends Error {
  constructor(
    readonly status: Exclude<TrainingJobStatus, 'Completed'>,
    readonly secondaryStatus: Exclude<SecondaryStatus, 'Completed'>,
    reason: string,
  ) {
    super(reason);
    this.name = 'JobEnd';
  }
}

/**
 * `sagemaker:createTrainingJob.sync` on the SageMaker training container contract, one local process per instance
 * (hosts algo-1..algo-N, run concurrently, each with its own /opt/ml stand-in at SM_ROOT):
 * - each input channel is downloaded from S3 into `<root>/input/data/<channel>/` (every object; with
 *   ShardedByS3Key, host i of N gets every N-th object in key order); hyperparameters.json (strings),
 *   resourceconfig.json ({current_host, hosts, ...}) and inputdataconfig.json go to `<root>/input/config/`;
 * - the image's local entrypoint stands in for the image's ENTRYPOINT and for AlgorithmSpecification.ContainerEntrypoint;
 *   its arguments are ContainerArguments when given, else none when ContainerEntrypoint is given, else `train`
 *   (what `docker run <image> train` passes); the environment is the job's Environment plus the SM_* variables;
 * - with CheckpointConfig, the objects under S3Uri are restored into LocalPath (under the root; /opt/ml/checkpoints
 *   by default) before the run, and every host's checkpoint directory is uploaded to S3Uri after it, whether the
 *   job completed, failed or was stopped (SageMaker syncs during the run; the twin once, at the end);
 * - the job fails when any host fails: its `<root>/output/failure` (or the traceback/last lines it printed) is the
 *   FailureReason, naming the host when there are several, and the other hosts are stopped;
 * - StoppingCondition.MaxRuntimeInSeconds is enforced in real seconds (the twin's time scale shortens waits,
 *   not training): the job is stopped with SIGTERM, SIGKILL 120 s later, and ends Stopped/MaxRuntimeExceeded;
 * - only algo-1's `<root>/model` is packed into `<S3OutputPath>/<TrainingJobName>/output/model.tar.gz`, and its
 *   `<root>/output/data`, when the job wrote anything there, into `output.tar.gz` beside it.
 * Managed spot training runs on demand here (no capacity wait, no interruption); the description reports it with
 * BillableTimeInSeconds equal to TrainingTimeInSeconds.
 */
export class SageMakerTraining {
  private readonly jobNames = new Set<string>();

  constructor(
    private app: SynthesizedApp,
    private readonly endpoints: ServiceEndpoints,
    private readonly timeline: Timeline,
    private readonly workDirectory: string = tmpdir(),
    /** Aborted when the twin stops: running jobs are ended with it. */
    private readonly signal?: AbortSignal,
    /** Receives every line a job's containers print. */
    private readonly onLog?: (jobName: string, host: string, line: string) => void,
  ) {}

  /** A stack update: training images are looked up in the new cloud assembly. */
  reconcile(app: SynthesizedApp): void {
    this.app = app;
  }

  async createTrainingJobSync(parameters: Record<string, unknown>): Promise<unknown> {
    const request = parseTrainingJobRequest(parameters);
    const name = request.TrainingJobName;
    if (this.jobNames.has(name)) throw new TaskError('SageMaker.ResourceInUseException', `Training job names must be unique within an AWS account and region, and a training job with this name already exists (${name})`);
    this.jobNames.add(name);
    const entrypoint = await localEntrypoint(this.app.assembly, request.AlgorithmSpecification.TrainingImage, (line) => this.timeline.add('sagemaker', `training job ${name}: ${line}`));
    const times: { created: Date; trainingStarted?: Date } = { created: new Date() };
    const hosts = hostNames(request.ResourceConfig.InstanceCount);
    this.timeline.add('sagemaker', `training job ${name} started${hosts.length > 1 ? ` on ${hosts.length} hosts` : ''} (${basename(entrypoint.entry)}${entrypointNote(request)})`);
    const s3 = new S3Client({ region: this.app.env.region, endpoint: this.endpoints.s3, forcePathStyle: true, credentials: LOCAL_CREDENTIALS });
    mkdirSync(this.workDirectory, { recursive: true });
    const jobDirectory = mkdtempSync(join(this.workDirectory, `training-${name}-`));
    try {
      const layout = await this.prepareHosts(s3, request, hosts, jobDirectory);
      times.trainingStarted = new Date();
      let end: JobEnd | undefined;
      try {
        end = await this.runHosts(request, entrypoint, layout);
      } finally {
        await this.saveCheckpoints(s3, request, layout);
      }
      if (end) throw end;
      const artifactUri = await this.uploadArchive(s3, request, layout[0].modelDir, 'model.tar.gz');
      if (readdirSync(layout[0].outputDataDir).length > 0) await this.uploadArchive(s3, request, layout[0].outputDataDir, 'output.tar.gz');
      this.timeline.add('sagemaker', `training job ${name} Completed: ${artifactUri}`);
      return describeTrainingJob(request, this.app.env, times, { status: 'Completed', secondaryStatus: 'Completed', ModelArtifacts: { S3ModelArtifacts: artifactUri } });
    } catch (err) {
      const end = err instanceof JobEnd ? err : err instanceof S3LocationError || err instanceof S3ServiceException ? new JobEnd('Failed', 'Failed', `ClientError: ${s3Problem(err)}`) : undefined;
      if (!end) throw err;
      this.timeline.add('sagemaker', `training job ${name} ${end.status}: ${end.message}`);
      // As the .sync integration does: a job that did not complete fails the task with the job description as the cause.
      const description = describeTrainingJob(request, this.app.env, times, { status: end.status, secondaryStatus: end.secondaryStatus, FailureReason: end.message });
      throw new TaskError('States.TaskFailed', JSON.stringify(description));
    } finally {
      s3.destroy();
      rmSync(jobDirectory, { recursive: true, force: true });
    }
  }

  /** Each host's /opt/ml stand-in with its channels and restored checkpoints. */
  private async prepareHosts(s3: S3Client, request: TrainingJobRequest, hosts: string[], jobDirectory: string): Promise<TrainingHost[]> {
    const checkpoint = request.CheckpointConfig;
    const checkpointBelowRoot = checkpoint ? checkpointPathBelowRoot(checkpoint.LocalPath) : undefined;
    if (checkpoint && checkpointBelowRoot === undefined) {
      throw new JobEnd(
        'Failed',
        'Failed',
        `ClientError: CheckpointConfig.LocalPath "${checkpoint.LocalPath}" is outside /opt/ml; the twin runs each host with /opt/ml at SM_ROOT and can only place checkpoints below it (the default /opt/ml/checkpoints works in both)`,
      );
    }
    const layout = hosts.map((host) => layOutHost(jobDirectory, host, hosts, request, checkpointBelowRoot));
    for (const channel of request.InputDataConfig) {
      const { S3Uri, S3DataDistributionType } = channel.DataSource.S3DataSource;
      const keys = await listObjectKeys(s3, S3Uri);
      if (keys.length === 0) throw new JobEnd('Failed', 'Failed', `ClientError: no objects under the ${channel.ChannelName} channel's S3Uri ${S3Uri}`);
      for (const [i, host] of layout.entries()) {
        const share = S3DataDistributionType === 'ShardedByS3Key' ? keys.filter((_, j) => j % layout.length === i) : keys;
        await downloadObjects(s3, S3Uri, share, host.channelDir(channel.ChannelName));
      }
    }
    if (checkpoint) {
      const keys = await listObjectKeys(s3, checkpoint.S3Uri);
      for (const host of layout) await downloadObjects(s3, checkpoint.S3Uri, keys, host.checkpointDir!);
      if (keys.length) this.timeline.add('sagemaker', `training job ${request.TrainingJobName}: ${keys.length} checkpoint file(s) restored from ${checkpoint.S3Uri}`);
    }
    return layout;
  }

  /** Runs every host to its end; undefined when all exited 0, else how the job ended. */
  private async runHosts(request: TrainingJobRequest, entrypoint: LocalEntrypoint, layout: TrainingHost[]): Promise<JobEnd | undefined> {
    const stopHosts = new AbortController();
    const signal = this.signal ? AbortSignal.any([this.signal, stopHosts.signal]) : stopHosts.signal;
    const limit = request.StoppingCondition.MaxRuntimeInSeconds;
    let timedOut = false;
    const timer =
      limit === undefined
        ? undefined
        : setTimeout(() => {
            if (signal.aborted) return;
            timedOut = true;
            stopHosts.abort();
          }, limit * 1000);
    let firstFailure: { host: TrainingHost; run: ContainerRun } | undefined;
    const hosts = layout.map((h) => h.name);
    const baseEnv = { ...hostBasics(), ...awsClientEnvironment(this.endpoints, this.app.env.region), ...request.Environment };
    try {
      await Promise.all(
        layout.map(async (host) => {
          const run = await runContainer(entrypoint, {
            env: { ...baseEnv, ...hostEnvironment(host, hosts, request) },
            args: containerArguments(request),
            signal,
            stopGraceMs: STOP_GRACE_MS,
            onLine: this.onLog && ((line) => this.onLog!(request.TrainingJobName, host.name, line)),
          });
          // The first host to fail decides the reason; SageMaker then stops the others.
          if (run.exitCode !== 0 && !signal.aborted) {
            firstFailure = { host, run };
            stopHosts.abort();
          }
        }),
      );
    } finally {
      clearTimeout(timer);
    }
    if (timedOut) {
      return new JobEnd('Stopped', 'MaxRuntimeExceeded', `MaxRuntimeExceeded: the job ran longer than StoppingCondition.MaxRuntimeInSeconds (${limit} s) and was stopped`);
    }
    if (firstFailure) {
      const { host, run } = firstFailure;
      const reason = existsSync(host.failureFile) ? readFileSync(host.failureFile, 'utf8').trim() : failureReasonFromOutput(run);
      return new JobEnd('Failed', 'Failed', `AlgorithmError: ${layout.length > 1 ? `${host.name}: ` : ''}${reason}`);
    }
    if (this.signal?.aborted) return new JobEnd('Stopped', 'Stopped', 'the twin stopped while the job ran');
    return undefined;
  }

  /** Every host's checkpoint directory to CheckpointConfig.S3Uri (files of the same name: the later host's wins). */
  private async saveCheckpoints(s3: S3Client, request: TrainingJobRequest, layout: TrainingHost[]): Promise<void> {
    const checkpoint = request.CheckpointConfig;
    if (!checkpoint) return;
    let files = 0;
    for (const host of layout) files += await uploadDirectory(s3, host.checkpointDir!, checkpoint.S3Uri);
    if (files) this.timeline.add('sagemaker', `training job ${request.TrainingJobName}: ${files} checkpoint file(s) saved to ${checkpoint.S3Uri}`);
  }

  /** One of algo-1's directories as `<S3OutputPath>/<job>/output/<file>` (model.tar.gz, output.tar.gz). */
  private async uploadArchive(s3: S3Client, request: TrainingJobRequest, directory: string, file: string): Promise<string> {
    const output = parseS3Uri(request.OutputDataConfig.S3OutputPath);
    const key = `${output.key.replace(/\/$/, '')}${output.key ? '/' : ''}${request.TrainingJobName}/output/${file}`;
    const archive = join(directory, '..', `archive-${file}`);
    const entries = readdirSync(directory);
    await tar.c({ gzip: true, cwd: directory, file: archive, portable: true }, entries.length ? entries : ['.']);
    await s3.send(new PutObjectCommand({ Bucket: output.bucket, Key: key, Body: readFileSync(archive) }));
    return `s3://${output.bucket}/${key}`;
  }
}

/**
 * The local entrypoint replaces the image's ENTRYPOINT and ContainerEntrypoint alike, so only the arguments carry
 * over: ContainerArguments when given; none when ContainerEntrypoint replaces the entrypoint (SageMaker then does not
 * pass `train`); otherwise `train`, as SageMaker runs `docker run <image> train`.
 */
export function containerArguments(request: TrainingJobRequest): string[] {
  const { ContainerEntrypoint, ContainerArguments } = request.AlgorithmSpecification;
  return ContainerArguments ?? (ContainerEntrypoint ? [] : ['train']);
}

/** An S3 problem in a data scientist's words: the service's error code says more than the SDK's message. */
function s3Problem(err: S3LocationError | S3ServiceException): string {
  return err instanceof S3ServiceException ? `S3 answered ${err.name}: ${err.message}` : err.message;
}

function entrypointNote(request: TrainingJobRequest): string {
  const { ContainerEntrypoint } = request.AlgorithmSpecification;
  return ContainerEntrypoint ? ` in place of ContainerEntrypoint ${JSON.stringify(ContainerEntrypoint)}` : '';
}
