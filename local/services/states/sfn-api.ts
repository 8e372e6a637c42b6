import { AwsServiceError } from '../../http/twin-server';
import type { Execution, StateMachines } from './state-machines';

const seconds = (date?: Date) => (date ? date.getTime() / 1000 : undefined);

function describe(execution: Execution) {
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: seconds(execution.startDate),
    stopDate: seconds(execution.stopDate),
    input: JSON.stringify(execution.input),
    output: execution.output === undefined ? undefined : JSON.stringify(execution.output),
    error: execution.error,
    cause: execution.cause,
  };
}

/** The Step Functions API (JSON 1.0, `AWSStepFunctions.*`) the platform's functions and the CLI use. */
export function sfnOperations(machines: StateMachines) {
  return {
    StartExecution: async (input: Record<string, unknown>) => {
      if (typeof input.stateMachineArn !== 'string') throw new AwsServiceError('ValidationException', 'stateMachineArn is required');
      let parsed: unknown = {};
      if (input.input !== undefined) {
        try {
          parsed = JSON.parse(String(input.input));
        } catch {
          throw new AwsServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input: input is not JSON');
        }
      }
      const execution = machines.start(input.stateMachineArn, parsed, input.name === undefined ? undefined : String(input.name));
      return { executionArn: execution.executionArn, startDate: seconds(execution.startDate) };
    },
    DescribeExecution: async (input: Record<string, unknown>) => describe(machines.describe(String(input.executionArn))),
    StopExecution: async (input: Record<string, unknown>) => {
      const execution = machines.stopExecution(String(input.executionArn), input.error as string | undefined, input.cause as string | undefined);
      return { stopDate: seconds(execution.stopDate ?? new Date()) };
    },
    ListExecutions: async (input: Record<string, unknown>) => {
      machines.machine(String(input.stateMachineArn));
      const executions = machines.executions
        .filter((e) => e.stateMachineArn === input.stateMachineArn && (!input.statusFilter || e.status === input.statusFilter))
        .sort((a, b) => b.startDate.getTime() - a.startDate.getTime())
        .slice(0, Number(input.maxResults ?? 100) || 100);
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
    GetExecutionHistory: async (input: Record<string, unknown>) => ({
      events: machines.describe(String(input.executionArn)).events.map((e, i) => ({
        id: i + 1,
        timestamp: new Date(e.at).getTime() / 1000,
        type: e.type,
        ...(e.state && { stateEnteredEventDetails: { name: e.state } }),
      })),
    }),
    ListStateMachines: async () => ({
      stateMachines: [...machines.machines.values()].map((m) => ({ stateMachineArn: m.arn, name: m.name, type: 'STANDARD', creationDate: 0 })),
    }),
    DescribeStateMachine: async (input: Record<string, unknown>) => {
      const machine = machines.machine(String(input.stateMachineArn));
      return { stateMachineArn: machine.arn, name: machine.name, status: 'ACTIVE', definition: JSON.stringify(machine.definition), roleArn: machine.roleArn, type: 'STANDARD', creationDate: 0 };
    },
  };
}
