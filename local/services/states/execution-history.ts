import type { Execution, ExecutionEvent } from './state-machines';

/** One event of GetExecutionHistory's response: id, previousEventId, timestamp (epoch seconds), type, details. */
export type HistoryEvent = { readonly id: number; readonly previousEventId: number; readonly timestamp: number } & Shaped;

/** An event's type and its `<type>EventDetails` field, when Step Functions gives it one. */
type Shaped = { readonly type: string; readonly [details: `${string}EventDetails`]: Record<string, unknown> };

/**
 * The execution's history under Step Functions' event names and detail fields: `<StateType>StateEntered/Exited`
 * (stateEnteredEventDetails/stateExitedEventDetails with the state name), TaskFailed or, for States.Timeout,
 * TaskTimedOut, ParallelStateFailed/MapStateFailed, and the final ExecutionSucceeded, ExecutionFailed, ExecutionAborted
 * (with StopExecution's error and cause) or ExecutionTimedOut, and a Distributed Map's MapRunStarted (with its map run's
 * ARN), MapRunSucceeded, MapRunFailed or MapRunAborted. The interpreter's events that have no counterpart
 * here (retry and catch markers, Map iteration and Parallel branch events, a failure of another state type) are left
 * out; each event's previousEventId is the one before it.
 */
export function historyEvents(execution: Execution, roleArn: string): HistoryEvent[] {
  const out: HistoryEvent[] = [];
  for (const event of execution.events) {
    const shaped = awsEvent(event, execution, roleArn);
    if (!shaped) continue;
    out.push({ id: out.length + 1, previousEventId: out.length, timestamp: new Date(event.at).getTime() / 1000, ...shaped });
  }
  return out;
}

function awsEvent(event: ExecutionEvent, execution: Execution, roleArn: string): Shaped | undefined {
  const failure = withoutUndefined({ error: event.error, cause: event.cause });
  switch (event.type) {
    case 'ExecutionStarted':
      return { type: 'ExecutionStarted', executionStartedEventDetails: { input: JSON.stringify(execution.input), inputDetails: { truncated: false }, roleArn } };
    case 'StateEntered':
      return { type: `${event.stateType}StateEntered`, stateEnteredEventDetails: { name: event.state } };
    case 'StateExited':
      return { type: `${event.stateType}StateExited`, stateExitedEventDetails: { name: event.state } };
    case 'StateFailed':
      if (event.stateType === 'Task') {
        return event.error === 'States.Timeout'
          ? { type: 'TaskTimedOut', taskTimedOutEventDetails: failure }
          : { type: 'TaskFailed', taskFailedEventDetails: failure };
      }
      if (event.stateType === 'Parallel' || event.stateType === 'Map') return { type: `${event.stateType}StateFailed` };
      return undefined;
    case 'MapRunStarted':
      return { type: 'MapRunStarted', mapRunStartedEventDetails: { mapRunArn: (JSON.parse(event.detail ?? '{}') as { mapRunArn?: string }).mapRunArn } };
    case 'MapRunSucceeded':
    case 'MapRunAborted':
      return { type: event.type };
    case 'MapRunFailed':
      return { type: 'MapRunFailed', mapRunFailedEventDetails: failure };
    case 'ExecutionSucceeded':
      return { type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: JSON.stringify(execution.output ?? null), outputDetails: { truncated: false } } };
    case 'ExecutionFailed':
      return { type: 'ExecutionFailed', executionFailedEventDetails: failure };
    case 'ExecutionAborted':
      return { type: 'ExecutionAborted', executionAbortedEventDetails: failure };
    case 'ExecutionTimedOut':
      return { type: 'ExecutionTimedOut' };
    default:
      return undefined;
  }
}

function withoutUndefined(record: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
