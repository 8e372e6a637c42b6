import { randomUUID } from 'node:crypto';
import type { SynthesizedApp } from '../../assembly/synthesized-app';
import type { Timeline } from '../../timeline';
import { awsClientEnvironment, hostBasics, type ServiceEndpoints } from '../aws-environment';
import { TaskError } from '../states/task-error';
import { localEntrypoint, runContainer } from './container-process';
import { failureReasonFromOutput } from './failure-reason';

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
}

/**
 * AWS::Batch::JobDefinition run by `batch:submitJob.sync`: the container image's local entrypoint with the job
 * definition's environment, overridden by ContainerOverrides, and `Ref::name` placeholders in the command replaced
 * from Parameters. Queues and compute environments only exist to be referenced; jobs start at once.
 */
export class BatchJobs {
  private readonly definitions = new Map<string, JobDefinition>();

  constructor(
    private app: SynthesizedApp,
    private readonly endpoints: ServiceEndpoints,
    private readonly timeline: Timeline,
    /** Aborted when the twin stops: running jobs are ended with it. */
    private readonly signal?: AbortSignal,
    /** Receives every line a job's container prints. */
    private readonly onLog?: (jobName: string, line: string) => void,
  ) {
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
      };
      this.definitions.set(arn, definition);
      this.definitions.set(definition.name, definition);
    }
  }

  async submitJobSync(parameters: Record<string, unknown>): Promise<unknown> {
    const reference = String(parameters.JobDefinition);
    const definition = this.definitions.get(reference) ?? this.definitions.get(reference.split('/').pop()!.split(':')[0]);
    if (!definition) throw new TaskError('Batch.ClientException', `Job definition ${reference} does not exist`);
    const overrides = (parameters.ContainerOverrides as { Environment?: KeyValue[]; Command?: string[] }) ?? {};
    const jobParameters = { ...definition.parameters, ...((parameters.Parameters as Record<string, string>) ?? {}) };
    const command = (overrides.Command ?? definition.container.Command ?? []).map((arg) =>
      arg.replace(/Ref::([A-Za-z0-9_]+)/g, (whole, name: string) => jobParameters[name] ?? whole),
    );
    const jobId = randomUUID();
    const jobName = String(parameters.JobName ?? definition.name);
    const env: Record<string, string> = {
      ...hostBasics(),
      ...awsClientEnvironment(this.endpoints, this.app.env.region),
      AWS_BATCH_JOB_ID: jobId,
      AWS_BATCH_JQ_NAME: String(parameters.JobQueue ?? '').split('/').pop() ?? '',
      AWS_BATCH_JOB_ATTEMPT: '1',
    };
    for (const { Name, Value } of [...(definition.container.Environment ?? []), ...(overrides.Environment ?? [])]) env[Name] = Value;
    this.timeline.add('batch', `job ${jobName} started (${definition.name})`);
    const startedAt = Date.now();
    const entrypoint = await localEntrypoint(this.app.assembly, definition.container.Image, (line) => this.timeline.add('batch', `job ${jobName}: ${line}`));
    const run = await runContainer(entrypoint, {
      env,
      args: command,
      signal: this.signal,
      onLine: this.onLog && ((line) => this.onLog!(jobName, line)),
    });
    const description = {
      JobArn: `arn:${this.app.env.partition}:batch:${this.app.env.region}:${this.app.env.accountId}:job/${jobId}`,
      JobId: jobId,
      JobName: jobName,
      JobQueue: parameters.JobQueue,
      JobDefinition: definition.arn,
      Status: run.exitCode === 0 ? 'SUCCEEDED' : 'FAILED',
      StatusReason: run.exitCode === 0 ? 'Essential container in task exited' : `Essential container in task exited: ${failureReasonFromOutput(run)}`,
      CreatedAt: startedAt,
      StartedAt: startedAt,
      StoppedAt: Date.now(),
      Container: { Image: definition.container.Image, Command: command, ExitCode: run.exitCode, LogStreamName: `local/${jobId}` },
      Parameters: jobParameters,
    };
    this.timeline.add('batch', `job ${jobName} ${description.Status} (exit ${run.exitCode})${run.exitCode ? `: ${description.StatusReason}` : ''}`);
    // As the .sync integration does: a failed job fails the task with the job description as the cause.
    if (run.exitCode !== 0) throw new TaskError('States.TaskFailed', JSON.stringify(description));
    return description;
  }
}
