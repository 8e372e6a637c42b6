import type { Execution } from './state-machines';

export const STATUS_CHANGE_SOURCE = 'aws.states';
export const STATUS_CHANGE_DETAIL_TYPE = 'Step Functions Execution Status Change';

/** The detail of a `Step Functions Execution Status Change` event, as Step Functions puts it on the default bus. */
export interface ExecutionStatusChange {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: Execution['status'];
  /** Epoch milliseconds. */
  readonly startDate: number;
  readonly stopDate: number | null;
  /** The execution input as a JSON string. */
  readonly input: string;
  readonly inputDetails: { readonly included: boolean };
  /** The output as a JSON string, once the execution succeeded. */
  readonly output: string | null;
  readonly outputDetails: { readonly included: boolean } | null;
  readonly error: string | null;
  readonly cause: string | null;
}

/**
 * The event detail for the execution's current status. Step Functions leaves out an input or output beyond 248 KiB
 * and says so with `included: false`; the twin always includes them (its event bus has no size limit).
 */
export function statusChangeDetail(execution: Execution): ExecutionStatusChange {
  const succeeded = execution.status === 'SUCCEEDED';
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: execution.startDate.getTime(),
    stopDate: execution.stopDate?.getTime() ?? null,
    input: JSON.stringify(execution.input),
    inputDetails: { included: true },
    output: succeeded ? JSON.stringify(execution.output ?? null) : null,
    outputDetails: succeeded ? { included: true } : null,
    error: execution.error ?? null,
    cause: execution.cause ?? null,
  };
}
