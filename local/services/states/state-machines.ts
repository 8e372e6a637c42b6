import { randomUUID } from 'node:crypto';
import './node20-support';
import { StateMachine } from 'aws-local-stepfunctions';
import type { SynthesizedApp } from '../../assembly/synthesized-app';
import { type Environment, executionArn } from '../../assembly/resource-identity';
import type { Clock } from '../../clock';
import type { Timeline } from '../../timeline';
import { AwsServiceError } from '../../http/twin-server';
import { applyTemplate, shouldEvaluateInTwin, type Template } from './payload-template';
import { taskHandler, type TaskIntegrations } from './task-router';

/** One entry of an execution's history, for the console. */
export interface ExecutionEvent {
  readonly type: string;
  readonly state?: string;
  readonly at: string;
  readonly detail?: string;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface Execution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly name: string;
  readonly input: unknown;
  readonly startDate: Date;
  status: ExecutionStatus;
  stopDate?: Date;
  output?: unknown;
  error?: string;
  cause?: string;
  readonly events: ExecutionEvent[];
  /** Settles when the execution stops, whatever its status. */
  readonly done: Promise<Execution>;
  abort(): void;
}

interface MachineDefinition {
  readonly arn: string;
  readonly name: string;
  readonly definition: AslDefinition;
  readonly roleArn: string;
}

interface AslState {
  Type: string;
  Next?: string;
  /** A Choice state's "otherwise" branch. */
  Default?: string;
  Resource?: string;
  Seconds?: number;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  Retry?: Array<{ IntervalSeconds?: number; MaxDelaySeconds?: number }>;
  Parameters?: unknown;
  ResultSelector?: unknown;
  Branches?: AslDefinition[];
  Iterator?: AslDefinition;
  ItemProcessor?: AslDefinition;
}
interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
}

const DETAIL_LIMIT = 2_000;
/**
 * Step Functions has no task timeout by default (99999999 s); aws-local-stepfunctions would stop tasks after 60 s.
 * The longest timer Node can set (2^31-1 ms, about 24.8 days) stands in for "none".
 */
const AWS_DEFAULT_TASK_TIMEOUT_SECONDS = 2_147_483;

/**
 * AWS::StepFunctions::StateMachine definitions (DefinitionString with DefinitionSubstitutions) executed by
 * aws-local-stepfunctions. Every Task state's resource is routed to a local integration; Wait states with `Seconds`
 * and Retry intervals (with their backoff and cap) run on the twin's clock (SecondsPath/Timestamp waits run in real
 * time). Executions keep a state-by-state history.
 */
export class StateMachines {
  readonly machines = new Map<string, MachineDefinition>();
  readonly executions: Execution[] = [];
  private readonly listeners = new Set<(execution: Execution) => void>();

  private readonly env: Environment;

  constructor(
    app: SynthesizedApp,
    private readonly clock: Clock,
    private readonly timeline: Timeline,
    private integrations?: TaskIntegrations,
  ) {
    this.env = app.env;
    for (const { stack, logicalId } of app.resourcesOfType('AWS::StepFunctions::StateMachine')) {
      const props = stack.properties(logicalId);
      const arn = stack.ref(logicalId);
      let text = typeof props.DefinitionString === 'string' ? props.DefinitionString : JSON.stringify(props.Definition);
      if (text === undefined) throw new Error(`state machine ${logicalId}: only DefinitionString/Definition run in the twin`);
      for (const [key, value] of Object.entries((props.DefinitionSubstitutions as Record<string, unknown>) ?? {})) {
        text = text.split(`\${${key}}`).join(String(value));
      }
      this.machines.set(arn, {
        arn,
        name: String(stack.getAtt(logicalId, 'Name')),
        definition: JSON.parse(text) as AslDefinition,
        roleArn: String(props.RoleArn ?? ''),
      });
    }
  }

  /** Late wiring: the integrations reach services that themselves start executions. */
  connect(integrations: TaskIntegrations): void {
    this.integrations = integrations;
  }

  onExecutionChange(listener: (execution: Execution) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  machine(arn: string): MachineDefinition {
    const machine = this.machines.get(arn);
    if (!machine) throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  /** StartExecution: names are unique per state machine; repeating a running execution's name and input returns it. */
  start(stateMachineArn: string, input: unknown, name: string = randomUUID()): Execution {
    const machine = this.machine(stateMachineArn);
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
      throw new AwsServiceError('InvalidName', `Invalid Name: '${name}' (1-80 letters, digits, '-' or '_')`);
    }
    const arn = executionArn(this.env, machine.name, name);
    const existing = this.executions.find((e) => e.executionArn === arn);
    if (existing) {
      if (existing.status === 'RUNNING' && JSON.stringify(existing.input) === JSON.stringify(input)) return existing;
      throw new AwsServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    if (!this.integrations) throw new Error('state machines are not connected to their task integrations');
    const events: ExecutionEvent[] = [];
    const context = {
      Execution: { Id: arn, Name: name, RoleArn: machine.roleArn, StartTime: new Date().toISOString(), Input: input },
      StateMachine: { Id: machine.arn, Name: machine.name },
    };
    const { definition, templates } = this.prepare(machine.definition);
    const run = new StateMachine(definition as never, { validationOptions: { checkPaths: false, checkArn: false } }).run(input as never, {
      overrides: this.overrides(definition, templates, context),
      context: context as never,
      noThrowOnAbort: true,
    });
    let resolveDone!: (e: Execution) => void;
    const execution: Execution = {
      executionArn: arn,
      stateMachineArn: machine.arn,
      stateMachineName: machine.name,
      name,
      input,
      startDate: new Date(),
      status: 'RUNNING',
      events,
      done: new Promise((resolve) => (resolveDone = resolve)),
      abort: () => run.abort(),
    };
    this.executions.push(execution);
    this.timeline.add('execution', `${machine.name}: execution ${name} started`);
    this.notify(execution);
    void this.record(execution, run.eventLogs as AsyncGenerator<Record<string, unknown>>);
    run.result.then(
      (output) => {
        if (output === null && execution.status === 'ABORTED') return this.finish(execution, resolveDone);
        execution.status = 'SUCCEEDED';
        execution.output = output;
        this.finish(execution, resolveDone);
      },
      (err: Error & { cause?: Error }) => {
        const cause = err.cause ?? err;
        execution.status = 'FAILED';
        execution.error = cause.name;
        execution.cause = cause.message;
        this.finish(execution, resolveDone);
      },
    );
    return execution;
  }

  stopExecution(arn: string, error?: string, cause?: string): Execution {
    const execution = this.describe(arn);
    if (execution.status === 'RUNNING') {
      execution.status = 'ABORTED';
      execution.error = error;
      execution.cause = cause;
      execution.abort();
    }
    return execution;
  }

  describe(arn: string): Execution {
    const execution = this.executions.find((e) => e.executionArn === arn);
    if (!execution) throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  private finish(execution: Execution, resolveDone: (e: Execution) => void): void {
    execution.stopDate = new Date();
    const outcome = execution.status === 'FAILED' ? `FAILED (${execution.error}: ${truncate(execution.cause ?? '', 300)})` : execution.status;
    this.timeline.add('execution', `${execution.stateMachineName}: execution ${execution.name} ${outcome}`);
    this.notify(execution);
    resolveDone(execution);
  }

  private notify(execution: Execution): void {
    for (const listener of this.listeners) listener(execution);
  }

  private async record(execution: Execution, logs: AsyncGenerator<Record<string, unknown>>): Promise<void> {
    for await (const event of logs) {
      const state = (event.state as { name?: string; input?: unknown; output?: unknown } | undefined) ??
        (event.parentState as { name?: string } | undefined);
      const type = String(event.type);
      let detail: unknown;
      if (type === 'StateEntered') detail = state && 'input' in state ? { input: state.input } : undefined;
      else if (type === 'StateExited') detail = state && 'output' in state ? { output: state.output } : undefined;
      else if ('Error' in event) detail = { error: event.Error, cause: event.Cause };
      else if (type === 'StateRetried') detail = { attempt: (event.retry as { attempt: number }).attempt };
      else if (type === 'ExecutionStarted') detail = { input: event.input };
      else if (type === 'ExecutionSucceeded') detail = { output: event.output };
      execution.events.push({
        type,
        state: state?.name,
        at: new Date(Number(event.timestamp)).toISOString(),
        detail: detail === undefined ? undefined : truncate(JSON.stringify(detail), DETAIL_LIMIT),
      });
      if (type === 'StateEntered' && state?.name) this.notify(execution);
      if (type.startsWith('Execution') && type !== 'ExecutionStarted') break;
    }
  }

  /**
   * A copy of the definition with AWS's task timeout default made explicit (see AWS_DEFAULT_TASK_TIMEOUT_SECONDS),
   * retry intervals on the twin's clock (the interpreter still applies BackoffRate and MaxDelaySeconds), and the Task
   * templates the twin evaluates itself moved out (see payload-template.ts).
   */
  private prepare(definition: AslDefinition): { definition: AslDefinition; templates: Map<string, { parameters?: Template; resultSelector?: Template }> } {
    const copy = structuredClone(definition);
    const templates = new Map<string, { parameters?: Template; resultSelector?: Template }>();
    const toTwinSeconds = (seconds: number) => this.clock.realMs(seconds * 1000) / 1000;
    for (const [name, state] of allNamedStates(copy)) {
      for (const retrier of state.Retry ?? []) {
        // ASL's default interval is 1 s.
        retrier.IntervalSeconds = toTwinSeconds(retrier.IntervalSeconds ?? 1);
        if (retrier.MaxDelaySeconds !== undefined) retrier.MaxDelaySeconds = toTwinSeconds(retrier.MaxDelaySeconds);
      }
      if (state.Type !== 'Task') continue;
      if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) state.TimeoutSeconds = AWS_DEFAULT_TASK_TIMEOUT_SECONDS;
      const taken: { parameters?: Template; resultSelector?: Template } = {};
      if (shouldEvaluateInTwin(state.Parameters)) {
        taken.parameters = state.Parameters;
        delete state.Parameters;
      }
      if (shouldEvaluateInTwin(state.ResultSelector)) {
        taken.resultSelector = state.ResultSelector;
        delete state.ResultSelector;
      }
      if (taken.parameters || taken.resultSelector) templates.set(name, taken);
    }
    return { definition: copy, templates };
  }

  private overrides(definition: AslDefinition, templates: Map<string, { parameters?: Template; resultSelector?: Template }>, context: unknown) {
    const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    const waitTimeOverrides: Record<string, number> = {};
    for (const [name, state] of allNamedStates(definition)) {
      if (state.Type === 'Task' && state.Resource) {
        const handler = taskHandler(state.Resource, this.integrations!);
        const { parameters, resultSelector } = templates.get(name) ?? {};
        const run = async (input: unknown) => {
          const output = await handler(parameters ? applyTemplate(parameters, input, context) : input);
          return resultSelector ? applyTemplate(resultSelector, output, context) : output;
        };
        // The library races a task against its timeout and abort; a task that loses must not reject unobserved.
        taskResourceLocalHandlers[name] = (input) => {
          const result = run(input);
          result.catch(() => undefined);
          return result;
        };
      }
      if (state.Type === 'Wait' && state.Seconds !== undefined) waitTimeOverrides[name] = this.clock.realMs(state.Seconds * 1000);
    }
    return { taskResourceLocalHandlers, waitTimeOverrides } as never;
  }
}

function* allNamedStates(definition: AslDefinition): Generator<[string, AslState]> {
  for (const [name, state] of Object.entries(definition.States)) {
    yield [name, state];
    for (const branch of state.Branches ?? []) yield* allNamedStates(branch);
    if (state.Iterator) yield* allNamedStates(state.Iterator);
    if (state.ItemProcessor) yield* allNamedStates(state.ItemProcessor);
  }
}

function truncate(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit)}… (${text.length} chars)` : text;
}
