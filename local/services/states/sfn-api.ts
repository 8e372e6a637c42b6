import { z } from 'zod';
import { AwsServiceError } from '../../http/twin-server';
import { historyEvents } from './execution-history';
import type { Execution, ExecutionStatus, StateMachines } from './state-machines';

const seconds = (date?: Date) => (date ? date.getTime() / 1000 : undefined);

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const satisfies readonly ExecutionStatus[];
const startExecutionRequest = z.object({ stateMachineArn: z.string().min(1), name: z.string().optional(), input: z.string().default('{}') });
const executionRequest = z.object({ executionArn: z.string().min(1) });
const stopExecutionRequest = executionRequest.extend({ error: z.string().max(256).optional(), cause: z.string().max(32_768).optional() });
const historyRequest = executionRequest.extend({ reverseOrder: z.boolean().default(false) });
const listExecutionsRequest = z.object({
  stateMachineArn: z.string().min(1),
  statusFilter: z.enum(STATUSES).optional(),
  maxResults: z.number().int().min(0).max(1000).default(100),
});
const stateMachineRequest = z.object({ stateMachineArn: z.string().min(1) });
const listMapRunsRequest = z.object({ executionArn: z.string().min(1), maxResults: z.number().int().min(0).max(1000).default(100) });
const mapRunRequest = z.object({ mapRunArn: z.string().min(1) });

/** A request field that breaks the API's rules, named as Step Functions' ValidationException names it. */
function parse<T extends z.ZodTypeAny>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new AwsServiceError('ValidationException', result.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; '));
}

/** DescribeExecution: output only once SUCCEEDED; error and cause of FAILED, or those StopExecution gave. */
function describe(execution: Execution) {
  const succeeded = execution.status === 'SUCCEEDED';
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: seconds(execution.startDate),
    stopDate: seconds(execution.stopDate),
    input: JSON.stringify(execution.input),
    inputDetails: { included: true },
    output: succeeded ? JSON.stringify(execution.output ?? null) : undefined,
    outputDetails: succeeded ? { included: true } : undefined,
    error: execution.error,
    cause: execution.cause,
  };
}

/** The Step Functions API (JSON 1.0, `AWSStepFunctions.*`) the platform's functions and the CLI use. */
export function sfnOperations(machines: StateMachines) {
  return {
    StartExecution: async (input: Record<string, unknown>) => {
      const request = parse(startExecutionRequest, input);
      let parsed: unknown;
      try {
        parsed = JSON.parse(request.input);
      } catch {
        throw new AwsServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input: input is not JSON');
      }
      const execution = machines.start(request.stateMachineArn, parsed, request.name);
      return { executionArn: execution.executionArn, startDate: seconds(execution.startDate) };
    },
    DescribeExecution: async (input: Record<string, unknown>) => describe(machines.describe(parse(executionRequest, input).executionArn)),
    StopExecution: async (input: Record<string, unknown>) => {
      const request = parse(stopExecutionRequest, input);
      const execution = machines.stopExecution(request.executionArn, request.error, request.cause);
      return { stopDate: seconds(execution.stopDate) };
    },
    ListExecutions: async (input: Record<string, unknown>) => {
      const request = parse(listExecutionsRequest, input);
      machines.machine(request.stateMachineArn);
      const executions = machines.executions
        .filter((e) => e.stateMachineArn === request.stateMachineArn && (!request.statusFilter || e.status === request.statusFilter))
        .sort((a, b) => b.startDate.getTime() - a.startDate.getTime())
        .slice(0, request.maxResults || 100);
      return {
        executions: executions.map((e) => ({
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: seconds(e.startDate),
          stopDate: seconds(e.stopDate),
        })),
      };
    },
    GetExecutionHistory: async (input: Record<string, unknown>) => {
      const request = parse(historyRequest, input);
      const execution = machines.describe(request.executionArn);
      const events = historyEvents(execution, machines.machine(execution.stateMachineArn).roleArn);
      return { events: request.reverseOrder ? events.reverse() : events };
    },
    ListMapRuns: async (input: Record<string, unknown>) => {
      const request = parse(listMapRunsRequest, input);
      machines.describe(request.executionArn);
      const runs = machines.mapRuns.filter((r) => r.executionArn === request.executionArn).slice(0, request.maxResults || 100);
      return { mapRuns: runs.map((r) => ({ executionArn: r.executionArn, mapRunArn: r.mapRunArn, stateMachineArn: machines.describe(r.executionArn).stateMachineArn, startDate: seconds(r.startDate), stopDate: seconds(r.stopDate) })) };
    },
    /** DescribeMapRun: the run's status and its item and child-run counts, which the twin updates as children finish. */
    DescribeMapRun: async (input: Record<string, unknown>) => {
      const { mapRunArn } = parse(mapRunRequest, input);
      const run = machines.mapRuns.find((r) => r.mapRunArn === mapRunArn);
      if (!run) throw new AwsServiceError('ResourceNotFound', `Map Run Does Not Exist: '${mapRunArn}'`);
      const total = (c: typeof run.itemCounts) => ({ ...c, resultsWritten: c.succeeded + c.failed, timedOut: 0, failuresNotRedrivable: 0, pendingRedrive: 0 });
      return {
        mapRunArn: run.mapRunArn,
        executionArn: run.executionArn,
        status: run.status,
        startDate: seconds(run.startDate),
        stopDate: seconds(run.stopDate),
        maxConcurrency: run.maxConcurrency,
        toleratedFailurePercentage: run.toleratedFailurePercentage,
        toleratedFailureCount: run.toleratedFailureCount,
        itemCounts: total(run.itemCounts),
        executionCounts: total(run.executionCounts),
        redriveCount: 0,
      };
    },
    ListStateMachines: async () => ({
      stateMachines: [...machines.machines.values()].map((m) => ({ stateMachineArn: m.arn, name: m.name, type: 'STANDARD', creationDate: 0 })),
    }),
    DescribeStateMachine: async (input: Record<string, unknown>) => {
      const machine = machines.machine(parse(stateMachineRequest, input).stateMachineArn);
      return { stateMachineArn: machine.arn, name: machine.name, status: 'ACTIVE', definition: JSON.stringify(machine.definition), roleArn: machine.roleArn, type: 'STANDARD', creationDate: 0 };
    },
  };
}
