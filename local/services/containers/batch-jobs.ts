import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { SynthesizedApp } from '../../assembly/synthesized-app';
import type { Timeline } from '../../timeline';
import { awsClientEnvironment, hostBasics, type ServiceEndpoints } from '../aws-environment';
import { TaskError } from '../states/task-error';
import { runArrayChildren } from './array-children';
import { parseSubmitJobRequest, type RetryStrategy, retryStrategySchema, type SubmitJobRequest } from './batch-job-request';
import { localEntrypoint } from './container-process';
import { type InfrastructureFailure, runJobAttempts } from './job-attempts';

/** The twin's default fault (failJobs): Batch lost the attempt's host, as in a Spot reclaim. */
const HOST_TERMINATED: InfrastructureFailure = { statusReason: 'Host EC2 (instance i-0twin) terminated.' };

interface KeyValue {
  Name: string;
  Value: string;
}

interface ContainerSpec {
  Image: string;
  Command?: string[];
  Environment?: KeyValue[];
}

interface JobDefinition {
  readonly arn: string;
  readonly name: string;
  readonly container: ContainerSpec;
  readonly parameters: Record<string, string>;
  /** As the template has it; read when a job is submitted, so a bad one fails that job's task. */
  readonly retryStrategy: unknown;
}

/**
 * AWS::Batch::JobDefinition run by `batch:submitJob.sync`: the container image's local entrypoint with the job
 * definition's environment, overridden by ContainerOverrides, and `Ref::name` placeholders in the command replaced
 * from Parameters; a failed attempt runs again as the RetryStrategy says. Queues and compute environments only exist
 * to be referenced; jobs start at once. An array job (ArrayProperties.Size) runs its children as local processes, at
 * most `arrayConcurrency` at a time, each with AWS_BATCH_JOB_ARRAY_INDEX and the id `<parent id>:<index>`.
 */
export class BatchJobs {
  private readonly definitions = new Map<string, JobDefinition>();
  /** Attempts made to fail (failJobs). */
  private failing?: { when: (attempt: FailedAttempt) => boolean; failure: InfrastructureFailure };

  constructor(
    private app: SynthesizedApp,
    private readonly endpoints: ServiceEndpoints,
    private readonly timeline: Timeline,
    /** Aborted when the twin stops: running jobs are ended with it. */
    private readonly signal?: AbortSignal,
    /** Receives every line a job's container prints. */
    private readonly onLog?: (jobName: string, line: string) => void,
    /** Array children running at once: the machine's cores, as a compute environment's vCPUs bound a real one. */
    private readonly arrayConcurrency = availableParallelism(),
  ) {
    if (!Number.isInteger(arrayConcurrency) || arrayConcurrency < 1) {
      throw new RangeError(`Batch array concurrency must be a whole number of at least 1, got ${arrayConcurrency}`);
    }
    this.load(app);
  }

  /** A stack update: job definitions (and the images they name) read again; a job already running keeps its own. */
  reconcile(app: SynthesizedApp): void {
    this.app = app;
    this.definitions.clear();
    this.load(app);
  }

  private load(app: SynthesizedApp): void {
    for (const { stack, logicalId } of app.resourcesOfType('AWS::Batch::JobDefinition')) {
      const props = stack.properties(logicalId);
      const container = (props.ContainerProperties ??
        (props.EcsProperties as { TaskProperties?: Array<{ Containers?: ContainerSpec[] }> })?.TaskProperties?.[0]?.Containers?.[0]) as
        | ContainerSpec
        | undefined;
      if (!container) continue;
      const arn = stack.ref(logicalId);
      const definition = {
        arn,
        name: arn.split('/').pop()!.split(':')[0],
        container,
        parameters: (props.Parameters as Record<string, string>) ?? {},
        retryStrategy: props.RetryStrategy,
      };
      this.definitions.set(arn, definition);
      this.definitions.set(definition.name, definition);
    }
  }

  async submitJobSync(parameters: Record<string, unknown>): Promise<unknown> {
    const request = parseSubmitJobRequest(parameters);
    const job = await this.prepare(request);
    return request.ArrayProperties ? this.runArray(job, request.ArrayProperties.Size) : this.runSingle(job);
  }

  /** The job's definition, environment and command resolved, its image's local entrypoint ready, nothing run yet. */
  private async prepare(request: SubmitJobRequest): Promise<PreparedJob> {
    const definition = this.definitions.get(request.JobDefinition) ?? this.definitions.get(request.JobDefinition.split('/').pop()!.split(':')[0]);
    if (!definition) throw new TaskError('Batch.ClientException', `Job definition ${request.JobDefinition} does not exist`);
    const retryStrategy = request.RetryStrategy ?? retryStrategyOf(definition);
    const jobParameters = { ...definition.parameters, ...request.Parameters };
    const command = (request.ContainerOverrides.Command ?? definition.container.Command ?? []).map((arg) =>
      arg.replace(/Ref::([A-Za-z0-9_]+)/g, (whole, name: string) => jobParameters[name] ?? whole),
    );
    const jobId = randomUUID();
    const jobName = request.JobName ?? definition.name;
    const env: Record<string, string> = {
      ...hostBasics(),
      ...awsClientEnvironment(this.endpoints, this.app.env.region),
      AWS_BATCH_JQ_NAME: request.JobQueue.split('/').pop() ?? '',
    };
    for (const { Name, Value } of [...(definition.container.Environment ?? []), ...request.ContainerOverrides.Environment]) env[Name] = Value;
    const size = request.ArrayProperties?.Size;
    this.timeline.add('batch', `job ${jobName} started (${definition.name})${size ? `: an array of ${size} children, at most ${Math.min(size, this.arrayConcurrency)} at a time` : ''}`);
    const createdAt = Date.now();
    const entrypoint = await localEntrypoint(this.app.assembly, definition.container.Image, (line) => this.timeline.add('batch', `job ${jobName}: ${line}`));
    return {
      name: jobName,
      description: {
        JobArn: `arn:${this.app.env.partition}:batch:${this.app.env.region}:${this.app.env.accountId}:job/${jobId}`,
        JobId: jobId,
        JobName: jobName,
        JobQueue: request.JobQueue,
        JobDefinition: definition.arn,
        CreatedAt: createdAt,
        Parameters: jobParameters,
        RetryStrategy: retryStrategy,
      },
      container: { Image: definition.container.Image, Command: command },
      run: (id, name, extraEnv = {}) =>
        runJobAttempts({
          entrypoint,
          env: { ...env, ...extraEnv, AWS_BATCH_JOB_ID: id },
          command,
          retryStrategy,
          jobId: id,
          signal: this.signal,
          onLine: this.onLog && ((line) => this.onLog!(name, line)),
          onRetry: (attempt, reason) => this.timeline.add('batch', `job ${name} attempt ${attempt} of ${retryStrategy.Attempts} failed: ${reason}; Batch runs it again`),
          failAttempt: (attempt) => (this.failing?.when({ jobName: name, attempt }) ? this.failing.failure : undefined),
        }),
    };
  }

  /**
   * Fault injection for the tests of error paths: until the returned function is called, the attempts `when` picks
   * (of single jobs, by name, and of array children, `<name>:<index>`) end FAILED with `failure` and no exit code,
   * their container not run, as when Batch loses their host (the default: a Spot reclaim) or cannot start their task.
   * The job's RetryStrategy then decides, as for any failed attempt. Only a test or a drill calls this.
   */
  failJobs(when: (attempt: FailedAttempt) => boolean, failure: InfrastructureFailure = HOST_TERMINATED): () => void {
    this.failing = { when, failure };
    return () => (this.failing = undefined);
  }

  private async runSingle(job: PreparedJob): Promise<unknown> {
    const ended = await job.run(job.description.JobId, job.name);
    const description = { ...job.description, ...ended, Container: { ...job.container, ...ended.Container } };
    this.timeline.add('batch', `job ${job.name} ${ended.Status} (${exitOf(ended.Container)})${ended.Status === 'FAILED' ? `: ${ended.StatusReason}` : ''}`);
    // As the .sync integration does: a failed job fails the task with the job description as the cause.
    if (ended.Status === 'FAILED') throw new TaskError('States.TaskFailed', JSON.stringify(description));
    return description;
  }

  /** Every child runs (a failed one does not stop the others), then the parent is decided, as in Batch. */
  private async runArray(job: PreparedJob, size: number): Promise<unknown> {
    const children = await runArrayChildren(
      size,
      this.arrayConcurrency,
      async (index) => {
        const childName = `${job.name}:${index}`;
        const child = await job.run(`${job.description.JobId}:${index}`, childName, { AWS_BATCH_JOB_ARRAY_INDEX: String(index) });
        if (child.Status === 'FAILED') this.timeline.add('batch', `job ${childName} FAILED (${exitOf(child.Container)}): ${child.StatusReason}`);
        return child.Status === 'SUCCEEDED';
      },
      this.signal,
    );
    const succeeded = children.statusSummary.SUCCEEDED === size;
    const parent = {
      ...job.description,
      Status: succeeded ? 'SUCCEEDED' : 'FAILED',
      // Batch's own words for a parent whose child failed; the timeline names the children and their reasons.
      ...(succeeded ? {} : { StatusReason: children.failedIndexes.length ? 'Array Child Job failed' : 'the twin stopped before every child ran' }),
      ArrayProperties: { Size: size, StatusSummary: children.statusSummary },
      StartedAt: job.description.CreatedAt,
      StoppedAt: Date.now(),
      Container: job.container,
    };
    const failed = children.failedIndexes;
    this.timeline.add(
      'batch',
      `job ${job.name} ${parent.Status}: ${children.statusSummary.SUCCEEDED} of ${size} children succeeded` +
        (failed.length ? `; failed: ${failed.slice(0, 20).join(', ')}${failed.length > 20 ? ` and ${failed.length - 20} more` : ''}` : ''),
    );
    if (!succeeded) throw new TaskError('States.TaskFailed', JSON.stringify(parent));
    return parent;
  }
}

/** An attempt failJobs may fail: of a single job (its name) or an array child (`<name>:<index>`), from 1. */
export interface FailedAttempt {
  readonly jobName: string;
  readonly attempt: number;
}

/** A submitted job ready to run: what its description starts with, and how to run it (or one of its children). */
interface PreparedJob {
  readonly name: string;
  readonly description: {
    JobArn: string;
    JobId: string;
    JobName: string;
    JobQueue: string;
    JobDefinition: string;
    CreatedAt: number;
    Parameters: Record<string, string>;
    RetryStrategy: RetryStrategy;
  };
  readonly container: { Image: string; Command: string[] };
  run(id: string, name: string, extraEnv?: Record<string, string>): ReturnType<typeof runJobAttempts>;
}

/** A container's exit for the timeline: `exit 1`, or none when its attempt failed before it ran. */
function exitOf(container: { ExitCode?: number }): string {
  return container.ExitCode === undefined ? 'no exit code' : `exit ${container.ExitCode}`;
}

/** A job definition's RetryStrategy (one attempt when it has none), or which field of which definition is wrong. */
function retryStrategyOf(definition: JobDefinition): RetryStrategy {
  const parsed = retryStrategySchema.safeParse(definition.retryStrategy ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `RetryStrategy.${issue.path.join('.')}: ${issue.message}`);
  throw new TaskError('Batch.ClientException', `job definition ${definition.name}: ${problems.join('; ')}`);
}
