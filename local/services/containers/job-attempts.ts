import type { RetryStrategy } from './batch-job-request';
import { type LocalEntrypoint, runContainer } from './container-process';
import { failureReasonFromOutput } from './failure-reason';

/** Batch's status reason when a job's container ends; the twin appends why, read from the container's output. */
const CONTAINER_EXITED = 'Essential container in task exited';

export interface JobAttemptsOptions {
  readonly entrypoint: LocalEntrypoint;
  /** The container's environment; AWS_BATCH_JOB_ATTEMPT is set per attempt. */
  readonly env: Record<string, string>;
  readonly command: string[];
  readonly retryStrategy: RetryStrategy;
  readonly jobId: string;
  readonly signal?: AbortSignal;
  readonly onLine?: (line: string) => void;
  /** Called when a failed attempt is run again, with its number (from 1) and why it failed. */
  readonly onRetry?: (attempt: number, reason: string) => void;
  /** A fault for tests (BatchJobs.failJobs): the attempt's failure when it is to fail before its container runs. */
  readonly failAttempt?: (attempt: number) => InfrastructureFailure | undefined;
}

/** Why Batch ended an attempt whose container never ran or never reported its exit: no exit code. */
export interface InfrastructureFailure {
  /** The job's status reason, as Batch words it ("Task failed to start", "Host EC2 (instance ...) terminated."). */
  readonly statusReason: string;
  /** The container's reason, when Batch gives one ("CannotPullContainerError: ..."). */
  readonly reason?: string;
}

/** One job (or array child) run to its end as Batch describes it: every attempt, and the last one's outcome. */
export async function runJobAttempts(options: JobAttemptsOptions) {
  const attempts = [];
  for (let attempt = 1; ; attempt++) {
    const startedAt = Date.now();
    const failure = options.failAttempt?.(attempt);
    const ended = failure ? infrastructureEnd(failure) : await containerEnd(options, attempt);
    const container = { ...ended.container, LogStreamName: `local/${options.jobId}/${attempt}` };
    attempts.push({ Container: container, StartedAt: startedAt, StoppedAt: Date.now(), StatusReason: ended.statusReason });
    const retry = !ended.succeeded && !options.signal?.aborted && retriesAfter(options.retryStrategy, attempt, ended.exit);
    if (!retry) {
      return {
        Status: ended.succeeded ? ('SUCCEEDED' as const) : ('FAILED' as const),
        StatusReason: ended.statusReason,
        StartedAt: attempts[0].StartedAt,
        StoppedAt: Date.now(),
        Attempts: attempts,
        Container: container,
      };
    }
    options.onRetry?.(attempt, ended.why);
  }
}

/** How an attempt ended: its description's fields, what the retry strategy is matched against, and why it failed. */
interface AttemptEnd {
  readonly succeeded: boolean;
  readonly statusReason: string;
  readonly container: { ExitCode?: number; Reason?: string };
  readonly exit: AttemptExit;
  readonly why: string;
}

async function containerEnd(options: JobAttemptsOptions, attempt: number): Promise<AttemptEnd> {
  const run = await runContainer(options.entrypoint, {
    env: { ...options.env, AWS_BATCH_JOB_ATTEMPT: String(attempt) },
    args: options.command,
    signal: options.signal,
    onLine: options.onLine,
  });
  const why = failureReasonFromOutput(run);
  return {
    succeeded: run.exitCode === 0,
    statusReason: run.exitCode === 0 ? CONTAINER_EXITED : `${CONTAINER_EXITED}: ${why}`,
    container: { ExitCode: run.exitCode },
    exit: { exitCode: run.exitCode, statusReason: CONTAINER_EXITED },
    why,
  };
}

function infrastructureEnd(failure: InfrastructureFailure): AttemptEnd {
  return {
    succeeded: false,
    statusReason: failure.statusReason,
    container: failure.reason === undefined ? {} : { Reason: failure.reason },
    exit: { statusReason: failure.statusReason, reason: failure.reason },
    why: failure.reason ?? failure.statusReason,
  };
}

/** What Batch knows of a failed attempt when it decides whether to run the job again. */
interface AttemptExit {
  /** None when the container never ran or its exit was lost with its host. */
  readonly exitCode?: number;
  /** The job's status reason in Batch's words (without the output the twin appends). */
  readonly statusReason: string;
  /** The container's reason (Batch's `container.reason`); the twin's local processes have none, its faults may. */
  readonly reason?: string;
}

/**
 * Whether Batch moves a failed attempt back to RUNNABLE: attempts remain, and the first EvaluateOnExit entry whose
 * conditions all match says RETRY. When no entry matches (or there are none), Batch retries.
 */
export function retriesAfter(strategy: RetryStrategy, attempt: number, exit: AttemptExit): boolean {
  if (attempt >= strategy.Attempts) return false;
  const entry = strategy.EvaluateOnExit.find(
    (candidate) =>
      matchesPattern(candidate.OnExitCode, exit.exitCode === undefined ? undefined : String(exit.exitCode)) &&
      matchesPattern(candidate.OnStatusReason, exit.statusReason) &&
      matchesPattern(candidate.OnReason, exit.reason ?? ''),
  );
  return entry === undefined || entry.Action === 'RETRY';
}

/**
 * Batch's patterns: exact, or a prefix when they end with `*`; a condition that is not given matches, and an exit code
 * that is not there matches no OnExitCode (a missing container reason is matched as empty, so `OnReason: "*"` still
 * catches everything, as Batch's documented catch-all does).
 */
function matchesPattern(pattern: string | undefined, value: string | undefined): boolean {
  if (pattern === undefined) return true;
  if (value === undefined) return false;
  return pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : value === pattern;
}
