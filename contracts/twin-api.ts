import type { modelView, versionSummaryView, versionView } from '../lambdas/registry/views';
import type { RunRecord } from '../lambdas/registry/schemas';

/** Shapes of the twin's own endpoints (`/twin/*`), as agreed with the runtime. */

export interface ExecutionEvent {
  type: string;
  state?: string;
  at: string | number;
  detail?: unknown;
}

export interface Execution {
  executionArn: string;
  stateMachineName: string;
  name: string;
  status: string;
  startDate: string | number;
  stopDate?: string | number | null;
  input?: unknown;
  output?: unknown;
  error?: string | null;
  cause?: string | null;
  events: ExecutionEvent[];
}

/**
 * A state machine's top-level states with the transitions known before a run: `next`, and a Choice's `default` (its
 * other branches depend on the data; Catch targets are for errors). Parallel and Map branches stay inside their state.
 */
export interface StateMachineFlow {
  name: string;
  startAt: string;
  states: Record<string, { type: string; next?: string; default?: string }>;
}

export interface AlarmState {
  alarmName: string;
  state: string;
  reason?: string;
  updatedAt?: string;
  namespace?: string;
  metricName?: string;
  dimensions?: Record<string, string> | { name: string; value: string }[];
  threshold?: number;
  comparisonOperator?: string;
}

export interface FunctionState {
  name: string;
  aliases: { name: string; version: string; routing?: Record<string, number> | null }[];
}

export interface TimelineEntry {
  at: string | number;
  kind: string;
  message: string;
}

export interface TwinState {
  /** How many times faster than template time the twin runs (its Clock scale); absent means 1. */
  timeScale?: number;
  stacks: unknown[];
  stateMachines: StateMachineFlow[];
  executions: Execution[];
  alarms: AlarmState[];
  functions: FunctionState[];
  timeline: TimelineEntry[];
}

export interface DashboardWidget {
  type: string;
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  properties?: Record<string, unknown>;
}

export interface DashboardBody {
  start?: string;
  end?: string;
  periodOverride?: string;
  widgets: DashboardWidget[];
}

/** Shapes of the approval API, taken from the registry's own view functions. */
export type ModelSummary = ReturnType<typeof modelView>;
export type VersionSummary = ReturnType<typeof versionSummaryView> & { executionName?: string | null };
export type ModelDetail = ModelSummary & { versions: VersionSummary[] };
export type VersionDetail = ReturnType<typeof versionView>;
export type Run = RunRecord;
