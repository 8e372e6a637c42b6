import type { Tone } from './status';
import type { ExecutionView, ExecutionEvent, MapRunView, StateMachineFlow } from '../../../contracts/twin-api';
import { toEpochMillis } from './time-series';

/** One state of an execution as the step strip shows it. */
export interface Step {
  name: string;
  status: 'running' | 'succeeded' | 'failed' | 'caught';
  enteredAt: number;
  exitedAt?: number;
  /** Retries before the last attempt. */
  retries: number;
  error?: string;
  cause?: string;
}

interface ErrorDetail {
  error?: string;
  cause?: string;
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/**
 * A Lambda task's cause is the function's error as JSON (`{"errorType","errorMessage","trace"}`); a person needs the
 * message. Other causes are shown as they are.
 */
function readableCause(cause: string): string {
  const parsed = parseJson(cause) as { errorMessage?: unknown } | undefined;
  return typeof parsed?.errorMessage === 'string' ? parsed.errorMessage : cause;
}

/**
 * Error/cause from an event's detail, the JSON text the twin records (truncated when long), with ASL's `Error`/`Cause`
 * or lower-case keys.
 */
function errorOf(detail: string | undefined): ErrorDetail {
  const value = detail === undefined ? undefined : parseJson(detail);
  if (typeof value !== 'object' || value === null) return {};
  const record = value as Record<string, unknown>;
  const text = (field: unknown) => (field === undefined || field === null ? undefined : typeof field === 'string' ? field : JSON.stringify(field));
  const cause = text(record.cause ?? record.Cause);
  return { error: text(record.error ?? record.Error), cause: cause === undefined ? undefined : readableCause(cause) };
}

/** Event kind by suffix, so both our short names (StateEntered) and Step Functions' (TaskStateEntered) work. */
const kindOf = (event: ExecutionEvent): string | undefined =>
  ['Entered', 'Exited', 'Failed', 'Caught', 'Retried'].find((kind) => event.type.endsWith(kind) && event.type !== `Execution${kind}`);

/** The states an execution went through, in order of entry (a state entered twice appears twice). */
export function stepsOf(execution: Pick<ExecutionView, 'events' | 'status' | 'error' | 'cause' | 'stopDate'>): Step[] {
  const steps: Step[] = [];
  const open = new Map<string, Step>();
  for (const event of execution.events) {
    const kind = kindOf(event);
    if (!kind || !event.state) continue;
    const at = toEpochMillis(event.at);
    const current = open.get(event.state);
    if (kind === 'Entered') {
      const step: Step = { name: event.state, status: 'running', enteredAt: at, retries: 0 };
      steps.push(step);
      open.set(event.state, step);
    } else if (current) {
      if (kind === 'Retried') {
        // The failed attempt is being retried: the state runs again (its error stays for the tooltip).
        current.retries += 1;
        current.status = 'running';
        current.exitedAt = undefined;
      }
      if (kind === 'Failed' || kind === 'Caught') {
        current.status = kind === 'Caught' ? 'caught' : 'failed';
        const { error, cause } = errorOf(event.detail);
        current.error = error ?? current.error;
        current.cause = cause ?? current.cause;
        current.exitedAt = at;
      }
      if (kind === 'Exited' && current.status === 'running') {
        current.status = 'succeeded';
        current.exitedAt = at;
      }
    }
  }
  // States still open when the execution stopped ended with it (a Fail state, or a task that failed without an
  // event of its own). The execution's error is theirs only if no earlier state already explains the failure.
  if (execution.status !== 'RUNNING') {
    const explained = steps.some((s) => s.status === 'failed' || s.status === 'caught');
    const stoppedAt = execution.stopDate ? toEpochMillis(execution.stopDate) : undefined;
    for (const step of steps.filter((s) => s.status === 'running')) {
      step.status = execution.status === 'SUCCEEDED' ? 'succeeded' : 'failed';
      step.exitedAt = stoppedAt ?? step.enteredAt;
      if (step.status === 'failed' && !explained) {
        step.error = execution.error ?? undefined;
        step.cause = execution.cause ? readableCause(execution.cause) : undefined;
      }
    }
  }
  return steps;
}

/** A state a running execution has still to enter. */
export interface PendingStep {
  name: string;
  status: 'pending';
}

/**
 * The states ahead of a running execution on its success path through `flow`, in order: from the state it is in (or
 * StartAt before it entered any), along `next` up to a terminal state or one already on the path (a poll loop).
 * A Choice goes on to its `default` unless that branch ends in a Fail state: then it is the failure branch, and the
 * branch the data will pick is not known yet.
 */
export function pendingSteps(execution: Pick<ExecutionView, 'status'>, steps: readonly Step[], flow: StateMachineFlow | undefined): PendingStep[] {
  if (execution.status !== 'RUNNING' || !flow) return [];
  // States inside a Parallel or Map branch have steps too; the flow goes on from the top-level state holding them.
  const current = [...steps].reverse().find((step) => Object.hasOwn(flow.states, step.name));
  // A caught state goes on to its Catch target, which is off the success path.
  if (current?.status === 'caught') return [];
  const ahead = current ? pathFrom(flow, flow.states[current.name].next, new Set([current.name])) : pathFrom(flow, flow.startAt, new Set());
  return ahead.map((name) => ({ name, status: 'pending' }));
}

function pathFrom(flow: StateMachineFlow, start: string | undefined, visited: Set<string>): string[] {
  const path: string[] = [];
  for (let name = start; name !== undefined && !visited.has(name) && Object.hasOwn(flow.states, name); name = flow.states[name].next) {
    visited.add(name);
    path.push(name);
    const { type, default: otherwise } = flow.states[name];
    if (type === 'Choice') {
      const branch = pathFrom(flow, otherwise, visited);
      const end = branch.at(-1);
      return end === undefined || flow.states[end].type === 'Fail' ? path : [...path, ...branch];
    }
  }
  return path;
}

export type ExecutionKind = 'pipeline' | 'deployment' | 'scoring' | 'other';

/** Which flow a state machine runs, from the names CDK gives them (TrainingPipeline..., DeploymentFlow..., BatchScoring...). */
export function executionKind(stateMachineName: string): ExecutionKind {
  if (/deploy/i.test(stateMachineName)) return 'deployment';
  if (/train|pipeline/i.test(stateMachineName)) return 'pipeline';
  if (/scoring/i.test(stateMachineName)) return 'scoring';
  return 'other';
}

/** How far a Distributed Map run is, for a progress bar and its label. */
export interface MapRunProgress {
  state: string;
  status: MapRunView['status'];
  /** Items that ended (succeeded, failed or aborted), of `total`. */
  done: number;
  total: number;
  failed: number;
  /** "12/20 chunks scored, 1 failed" (a scoring run's items are chunks), or "12/20 items done" for another map. */
  label: string;
}

/** The progress of each Distributed Map run of an execution (DescribeMapRun's item counts), in order of start. */
export function mapRunProgress(execution: Pick<ExecutionView, 'mapRuns' | 'stateMachineName'>): MapRunProgress[] {
  const scoring = executionKind(execution.stateMachineName) === 'scoring';
  return execution.mapRuns.map(({ stateName, status, itemCounts: { total, succeeded, failed, aborted } }) => ({
    state: stateName,
    status,
    done: succeeded + failed + aborted,
    total,
    failed: failed + aborted,
    label: `${succeeded}/${total} ${scoring ? 'chunks scored' : 'items done'}${failed + aborted ? `, ${failed + aborted} failed` : ''}`,
  }));
}

/** What a finished scoring run's output says (the Finish step's result): rows, version and manifest. */
function scoringResult(execution: ExecutionView): string | undefined {
  const result = (execution.output as { result?: { rows?: unknown; version?: unknown; manifest?: unknown } } | null)?.result;
  if (typeof result?.rows !== 'number' || typeof result.version !== 'number') return undefined;
  return `${result.rows.toLocaleString('en')} rows scored with v${result.version}${typeof result.manifest === 'string' ? `; manifest ${result.manifest}` : ''}`;
}

export interface Outcome {
  tone: Tone;
  headline: string;
  detail?: string;
}

const matches = (steps: Step[], pattern: RegExp) => steps.find((step) => pattern.test(step.name));
const failedStep = (steps: Step[]) => steps.find((step) => step.status === 'failed' || step.status === 'caught');

/**
 * A one-line verdict on an execution that names the fault a person must notice: a failed training job, a holdout
 * parity failure, a rollback.
 */
export function describeOutcome(execution: ExecutionView, steps: Step[]): Outcome {
  const failed = failedStep(steps);
  const reason = failed?.cause ?? failed?.error ?? (execution.cause ? readableCause(execution.cause) : undefined) ?? execution.error ?? undefined;
  const rollback = matches(steps, /rollback|restore/i);
  if (rollback) {
    const trigger = failed && failed !== rollback ? failed.name : undefined;
    const parity = trigger && /holdout|parity/i.test(trigger);
    return {
      tone: 'danger',
      headline: parity ? 'Holdout parity failed — deployment rolled back' : trigger ? `Rolled back after ${trigger} failed` : 'Rolled back',
      detail: reason,
    };
  }
  if (execution.status === 'RUNNING') {
    const current = steps.at(-1);
    return { tone: 'progress', headline: current ? `Running: ${current.name}` : 'Starting' };
  }
  if (execution.status === 'SUCCEEDED') {
    const scored = executionKind(execution.stateMachineName) === 'scoring' ? scoringResult(execution) : undefined;
    return { tone: 'success', headline: 'Succeeded', ...(scored && { detail: scored }) };
  }
  if (failed && /holdout|parity/i.test(failed.name)) return { tone: 'danger', headline: 'Holdout parity failed', detail: reason };
  if (failed && /train/i.test(failed.name)) return { tone: 'danger', headline: 'Training job failed', detail: reason };
  return { tone: 'danger', headline: failed ? `Failed at ${failed.name}` : `Execution ${execution.status.toLowerCase()}`, detail: reason };
}
