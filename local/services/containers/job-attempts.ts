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
}

/** One job (or array child) run to its end as Batch describes it: every attempt, and the last one's outcome. */
export async function runJobAttempts(options: JobAttemptsOptions) {
  const attempts = [];
  for (let attempt = 1; ; attempt++) {
    const startedAt = Date.now();
    const run = await runContainer(options.entrypoint, {
      env: { ...options.env, AWS_BATCH_JOB_ATTEMPT: String(attempt) },
      args: options.command,
      signal: options.signal,
      onLine: options.onLine,
    });
    const reason = run.exitCode === 0 ? CONTAINER_EXITED : `${CONTAINER_EXITED}: ${failureReasonFromOutput(run)}`;
    const container = { ExitCode: run.exitCode, LogStreamName: `local/${options.jobId}/${attempt}` };
    attempts.push({ Container: container, StartedAt: startedAt, StoppedAt: Date.now(), StatusReason: reason });
    const retry =
      run.exitCode !== 0 &&
      !options.signal?.aborted &&
      retriesAfter(options.retryStrategy, attempt, { exitCode: run.exitCode, statusReason: CONTAINER_EXITED });
    if (!retry) {
      return {
        Status: run.exitCode === 0 ? ('SUCCEEDED' as const) : ('FAILED' as const),
        StatusReason: reason,
        StartedAt: attempts[0].StartedAt,
        StoppedAt: Date.now(),
        Attempts: attempts,
        Container: container,
      };
    }
    options.onRetry?.(attempt, failureReasonFromOutput(run));
  }
}

/** What Batch knows of a failed attempt when it decides whether to run the job again. */
interface AttemptExit {
  readonly exitCode: number;
  /** The job's status reason in Batch's words (without the output the twin appends). */
  readonly statusReason: string;
  /** The container's reason (Batch's `container.reason`); the twin's local processes have none. */
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
      matchesPattern(candidate.OnExitCode, String(exit.exitCode)) &&
      matchesPattern(candidate.OnStatusReason, exit.statusReason) &&
      matchesPattern(candidate.OnReason, exit.reason ?? ''),
  );
  return entry === undefined || entry.Action === 'RETRY';
}

/** Batch's patterns: exact, or a prefix when they end with `*`; a condition that is not given matches. */
function matchesPattern(pattern: string | undefined, value: string): boolean {
  if (pattern === undefined) return true;
  return pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : value === pattern;
}
