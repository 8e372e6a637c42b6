/**
 * The twin's own endpoints for the console (`/twin/*`; local/README.md).
 * Producers: the twin (local/http/console-api.ts, from its state machines, alarms, functions and timeline).
 * Consumers: the console (console/src/api.js and its views, console/src/lib/run-progress.ts, dashboard-model.ts). The
 * approval API's bodies, which the console reads too, are in registry-api.ts.
 */
import { z } from 'zod';

/** One entry of an execution's history (the twin's GetExecutionHistory reads the same entries). */
export interface ExecutionEvent {
  readonly type: string;
  readonly state?: string;
  /** The state's Type (Task, Wait, ...): GetExecutionHistory names events by it (TaskStateEntered). */
  readonly stateType?: string;
  readonly at: string;
  readonly detail?: string;
  /** The error of a failure (StateFailed, ExecutionFailed, ExecutionAborted), e.g. States.Timeout. */
  readonly error?: string;
  readonly cause?: string;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

/** A state machine execution, dates as ISO-8601 strings. */
export interface ExecutionView {
  executionArn: string;
  stateMachineName: string;
  name: string;
  status: ExecutionStatus;
  startDate: string;
  stopDate: string | null;
  input: unknown;
  output: unknown;
  error: string | null;
  cause: string | null;
  events: readonly ExecutionEvent[];
  /** The execution's Distributed Map runs, in order of start (DescribeMapRun's status and counts). */
  mapRuns: readonly MapRunView[];
}

/** A Distributed Map run's item counts, as DescribeMapRun gives them. */
export interface MapRunCounts {
  total: number;
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  aborted: number;
}

/** One Distributed Map run of an execution: its Map state, its status and how many of its items are done. */
export interface MapRunView {
  mapRunArn: string;
  stateName: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  itemCounts: MapRunCounts;
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

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** An alarm, its state and what it watches (a metric-math alarm shows its expression as the metric name). */
export interface AlarmView {
  alarmName: string;
  state: AlarmStateValue;
  reason: string;
  updatedAt: string;
  namespace?: string;
  metricName?: string;
  dimensions: Record<string, string>;
  threshold: number;
  comparisonOperator: string;
}

/** A function's aliases and where they point; `routing` holds a canary's weighted extra version. */
export interface FunctionView {
  name: string;
  aliases: { name: string; version: string; routing: Record<string, number> | null }[];
}

/** One thing that happened in the twin (executions, alarms, deployments, errors). */
export interface TimelineEntry {
  readonly at: string;
  readonly kind: string;
  readonly message: string;
}

/** `GET /twin/state`. */
export interface TwinState {
  /** How many times faster than template time the twin runs (its clock's scale); the console divides its periods by it. */
  timeScale: number;
  stacks: { stackName: string; outputs: Record<string, string> }[];
  stateMachines: StateMachineFlow[];
  executions: ExecutionView[];
  alarms: AlarmView[];
  functions: FunctionView[];
  timeline: readonly TimelineEntry[];
}

/** A CloudWatch dashboard body (the synthesized DashboardBody), as far as the console draws it. */
export const dashboardBodySchema = z.looseObject({
  start: z.string().optional(),
  end: z.string().optional(),
  periodOverride: z.string().optional(),
  widgets: z.array(
    z.looseObject({
      type: z.string(),
      x: z.number().optional(),
      y: z.number().optional(),
      width: z.number().optional(),
      height: z.number().optional(),
      properties: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
});
export type DashboardBody = z.infer<typeof dashboardBodySchema>;
export type DashboardWidget = DashboardBody['widgets'][number];

/** `GET /twin/dashboard`: every dashboard of the app; a body the twin could not read as one is passed on as its text. */
export interface DashboardsResponse {
  dashboards: { name: string; body: DashboardBody | string }[];
}

/** `POST /twin/metrics`: GetMetricData-like; periods in template seconds, times in real epoch ms or ISO-8601. */
export const metricsRequestSchema = z.object({
  queries: z
    .array(
      z.object({
        id: z.string().min(1),
        namespace: z.string().min(1),
        metricName: z.string().min(1),
        dimensions: z.record(z.string(), z.string()).default({}),
        stat: z.string().min(1),
        period: z.number().positive(),
      }),
    )
    .max(500),
  start: z.union([z.string(), z.number()]).optional(),
  end: z.union([z.string(), z.number()]).optional(),
});
export type MetricsRequest = z.input<typeof metricsRequestSchema>;

/** One query's series (epoch ms timestamps), or the reason it has none. */
export interface MetricResult {
  id: string;
  timestamps: number[];
  values: number[];
  error?: string;
}

export interface MetricsResponse {
  results: MetricResult[];
}
