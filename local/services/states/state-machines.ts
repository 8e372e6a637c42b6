import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import type { SynthesizedApp } from '../../assembly/synthesized-app';
import { type Environment, executionArn } from '../../assembly/resource-identity';
import type { Clock } from '../../clock';
import type { Timeline } from '../../timeline';
import { AwsServiceError } from '../../http/twin-server';
import { type DistributedMapSpec, MAP_RUN_FIELDS, type MapRun, parseDistributedMap, runDistributedMap } from './distributed-map';
import { ExecutionClock } from './execution-clock';
import { MapRunEvents } from './map-run-events';
import { StateCoverage } from './state-coverage';
import { applyTemplate, shouldEvaluateInTwin, type Template } from './payload-template';
import { type ExecutionStatusChange, statusChangeDetail } from './status-change-event';
import { taskHandler, type TaskIntegrations } from './task-router';
import type { ExecutionEvent, ExecutionStatus } from '../../../contracts/twin-api';

// An execution's history entries and statuses are what the console reads too (contracts/twin-api.ts).
export type { ExecutionEvent, ExecutionStatus };

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
  /** Settles when the execution has stopped, whatever its status, with its history complete. */
  readonly done: Promise<Execution>;
}

/** What the twin keeps of an execution that runs, to stop it. */
interface Run {
  readonly execution: Execution;
  readonly clock: ExecutionClock;
  /** Aborted when the execution stops or times out: its map runs stop their children. */
  readonly stopped: AbortController;
  abort(): void;
  /** Called twice: when the status is final and when the history is complete; the second call ends the run. */
  settle(): void;
  /** Its Distributed Maps' map-run events, each put after its state's entry in the history. */
  readonly mapRunEvents: MapRunEvents;
}

interface MachineDefinition {
  readonly arn: string;
  readonly name: string;
  readonly definition: AslDefinition;
  readonly roleArn: string;
  /** By which the test run's state coverage knows it (state-coverage.ts). */
  readonly logicalId: string;
}

interface AslState {
  Type: string;
  Resource?: string;
  Next?: string;
  /** A Choice state's "otherwise" branch. */
  Default?: string;
  Choices?: Array<{ Next?: string }>;
  Catch?: Array<{ Next: string }>;
  Seconds?: number;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  Retry?: Array<{ IntervalSeconds?: number; MaxDelaySeconds?: number }>;
  Parameters?: unknown;
  ResultSelector?: unknown;
  ResultPath?: string | null;
  Branches?: AslDefinition[];
  Iterator?: AslDefinition;
  ItemProcessor?: AslDefinition & { ProcessorConfig?: { Mode?: string } };
}
interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
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
 * time). An execution ends SUCCEEDED, FAILED, ABORTED (StopExecution) or TIMED_OUT (the state machine's
 * TimeoutSeconds, see ExecutionClock), keeps a state-by-state history, and reports its start and end to
 * `onStatusChange` listeners as Step Functions reports them to EventBridge.
 */
export class StateMachines {
  readonly machines = new Map<string, MachineDefinition>();
  readonly executions: Execution[] = [];
  /** Every Distributed Map run, as ListMapRuns and DescribeMapRun report them. */
  readonly mapRuns: MapRun[] = [];
  private readonly runs = new Map<string, Run>();
  private readonly listeners = new Set<(execution: Execution) => void>();
  private readonly statusListeners = new Set<(detail: ExecutionStatusChange) => void>();

  private readonly env: Environment;
  private readonly coverage = StateCoverage.fromEnv();

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
      const definition = JSON.parse(text) as AslDefinition;
      // A Distributed Map the twin cannot run is refused now, naming the state, rather than at its first execution.
      distributedMapsToTasks(structuredClone(definition));
      if (stack.stackName.startsWith(TEAM_STACK_PREFIX)) this.coverage?.defined(logicalId, [...allNamedStates(definition)].map(([name]) => name), transitionsOf(definition));
      this.machines.set(arn, { arn, name: String(stack.getAtt(logicalId, 'Name')), definition, roleArn: String(props.RoleArn ?? ''), logicalId });
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

  /**
   * StartExecution. Names are unique per state machine, finished executions included: repeating the name and input of
   * a running execution returns that execution (Step Functions' idempotent start), anything else is refused.
   */
  start(stateMachineArn: string, input: unknown, name: string = randomUUID()): Execution {
    const machine = this.machine(stateMachineArn);
    checkExecutionName(name);
    const arn = executionArn(this.env, machine.name, name);
    const existing = this.executions.find((e) => e.executionArn === arn);
    if (existing) {
      if (existing.status === 'RUNNING' && JSON.stringify(existing.input) === JSON.stringify(input)) return existing;
      throw new AwsServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    if (!this.integrations) throw new Error('state machines are not connected to their task integrations');
    const context = {
      Execution: { Id: arn, Name: name, RoleArn: machine.roleArn, StartTime: new Date().toISOString(), Input: input },
      StateMachine: { Id: machine.arn, Name: machine.name },
    };
    const prepared = this.prepare(machine.definition);
    const stopped = new AbortController();
    const library = new StateMachine(prepared.definition as never, { validationOptions: INTERPRETER_VALIDATION }).run(input as never, {
      overrides: this.overrides(prepared, context, stopped.signal),
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
      events: [],
      done: new Promise((resolve) => (resolveDone = resolve)),
    };
    let settlements = 0;
    const run: Run = {
      execution,
      stopped,
      clock: new ExecutionClock(this.clock.scale, machine.definition.TimeoutSeconds, () => this.end(run, 'TIMED_OUT')),
      abort: () => library.abort(),
      settle: () => {
        if (++settlements === 2) this.finish(run, resolveDone);
      },
      mapRunEvents: new MapRunEvents(execution.events),
    };
    this.executions.push(execution);
    this.runs.set(arn, run);
    this.timeline.add('execution', `${machine.name}: execution ${name} started`);
    this.notify(execution);
    this.emitStatus(execution);
    void this.record(run, library.eventLogs as AsyncGenerator<Record<string, unknown>>, machine.definition);
    library.result.then(
      (output) => {
        execution.output = output;
        this.end(run, 'SUCCEEDED');
      },
      (err: Error & { cause?: Error }) => this.end(run, 'FAILED', failureOf(err.cause ?? err)),
    );
    return execution;
  }

  /** StopExecution: a running execution ends ABORTED with the error and cause given; a stopped one is left as it is. */
  stopExecution(arn: string, error?: string, cause?: string): Execution {
    const execution = this.describe(arn);
    const run = this.runs.get(arn);
    if (run) this.end(run, 'ABORTED', { error, cause });
    return execution;
  }

  describe(arn: string): Execution {
    const execution = this.executions.find((e) => e.executionArn === arn);
    if (!execution) throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  /** Listens for every status change (RUNNING at the start, then the final status), in the shape of AWS's event. */
  onStatusChange(listener: (detail: ExecutionStatusChange) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /**
   * The execution's status becomes final, once (the first of: the interpreter's outcome, StopExecution, the
   * timeout). Stopping the interpreter makes it close the history, which settles the run.
   */
  private end(run: Run, status: Exclude<ExecutionStatus, 'RUNNING'>, failure: { error?: string; cause?: string } = {}): void {
    const { execution } = run;
    if (execution.status !== 'RUNNING') return;
    execution.status = status;
    execution.stopDate = new Date();
    execution.error = failure.error;
    execution.cause = failure.cause;
    if (status !== 'SUCCEEDED') execution.output = undefined;
    run.clock.stop();
    if (status === 'ABORTED' || status === 'TIMED_OUT') {
      run.stopped.abort();
      run.abort();
    }
    run.settle();
  }

  /** Status final and history complete: the terminal history event, the timeline, listeners, the status event. */
  private finish(run: Run, resolveDone: (e: Execution) => void): void {
    const { execution } = run;
    this.runs.delete(execution.executionArn);
    run.mapRunEvents.flush();
    execution.events.push(terminalEvent(execution));
    const outcome = execution.status === 'FAILED' ? `FAILED (${execution.error}: ${truncate(execution.cause ?? '', 300)})` : execution.status;
    this.timeline.add('execution', `${execution.stateMachineName}: execution ${execution.name} ${outcome}`);
    this.notify(execution);
    this.emitStatus(execution);
    resolveDone(execution);
  }

  private notify(execution: Execution): void {
    for (const listener of this.listeners) listener(execution);
  }

  /** Step Functions puts an event on the default bus when an execution starts and when it ends, not for each state. */
  private emitStatus(execution: Execution): void {
    const detail = statusChangeDetail(execution);
    for (const listener of this.statusListeners) listener(detail);
  }

  /**
   * Copies the interpreter's events into the execution's history (all but its terminal event, which `finish` writes
   * from the final status) and tells the execution clock when the execution pauses: in a Wait state, or between a
   * failed attempt and its retry.
   */
  private async record(run: Run, logs: AsyncGenerator<Record<string, unknown>>, definition: AslDefinition): Promise<void> {
    const { execution, clock } = run;
    const states = new Map(allNamedStates(definition));
    const entered = this.coverageOfFlow(execution.stateMachineArn);
    for await (const event of logs) {
      const type = String(event.type);
      if (TERMINAL_EVENTS.has(type)) break;
      const reported = (event.state as { name?: string; type?: string; input?: unknown; output?: unknown } | undefined) ??
        (event.parentState as { name?: string; type?: string } | undefined);
      // A Distributed Map runs as a Task in the interpreter (see distributedMapsToTasks); its history says Map.
      const state = reported && { ...reported, type: (reported.name && states.get(reported.name)?.Type) || reported.type };
      const pause = `${state?.name}#${event.index ?? ''}`;
      let detail: unknown;
      let failure: { error?: string; cause?: string } | undefined;
      if (type === 'StateEntered') detail = state && 'input' in state ? { input: state.input } : undefined;
      else if (type === 'StateExited') detail = state && 'output' in state ? { output: state.output } : undefined;
      else if ('Error' in event) {
        failure = failureOf({ name: String(event.Error), message: String(event.Cause) });
        detail = failure;
      } else if (type === 'StateRetried') detail = { attempt: (event.retry as { attempt: number }).attempt };
      else if (type === 'ExecutionStarted') detail = { input: event.input };
      execution.events.push({
        type,
        state: state?.name,
        stateType: state?.type,
        at: new Date(Number(event.timestamp)).toISOString(),
        detail: detail === undefined ? undefined : truncate(JSON.stringify(detail), DETAIL_LIMIT),
        ...failure,
      });
      if (type === 'StateEntered' && state?.name) entered(event, state.name);
      if ((type === 'StateEntered' || type === 'StateRetried') && state?.name) run.mapRunEvents.stateStarted(state.name);
      if (state?.name && execution.status === 'RUNNING') {
        if (type === 'StateEntered' && state.type === 'Wait') clock.pauseStarted(pause);
        else if (type === 'StateExited' && state.type === 'Wait') clock.pauseEnded(pause);
        else if (type === 'StateFailed' && states.get(state.name)?.Retry) clock.pauseStarted(pause);
        else if (type === 'StateRetried' || type === 'StateCaught') clock.pauseEnded(pause);
        if ((type === 'StateExited' || type === 'StateFailed') && (state.type === 'Parallel' || state.type === 'Map')) {
          const inside = new Set([...statesInside(states.get(state.name)!)].map(([name]) => name));
          clock.pausesEnded((key) => inside.has(key.slice(0, key.lastIndexOf('#'))));
        }
        if (type === 'StateEntered') this.notify(execution);
      }
    }
    run.settle();
  }

  /**
   * A copy of the definition for the interpreter: without the execution's TimeoutSeconds (the ExecutionClock measures
   * it), with AWS's task timeout default made explicit (see AWS_DEFAULT_TASK_TIMEOUT_SECONDS), retry intervals on the
   * twin's clock (the interpreter still applies BackoffRate and MaxDelaySeconds), and the Task templates the twin
   * evaluates itself moved out (see payload-template.ts). Task timeouts stay in real seconds, like the work they bound.
   */
  private prepare(definition: AslDefinition): Prepared {
    const copy = structuredClone(definition);
    delete copy.TimeoutSeconds;
    const templates = new Map<string, { parameters?: Template; resultSelector?: Template }>();
    const toTwinSeconds = (seconds: number) => this.clock.realMs(seconds * 1000) / 1000;
    for (const [name, state] of allNamedStates(copy)) {
      // ResultPath "$" (the default, written out) replaces the input with the result; the interpreter would instead
      // add the result under a key named "$".
      if (state.ResultPath === '$') delete state.ResultPath;
      for (const retrier of state.Retry ?? []) {
        // ASL's default interval is 1 s.
        retrier.IntervalSeconds = toTwinSeconds(retrier.IntervalSeconds ?? 1);
        if (retrier.MaxDelaySeconds !== undefined) retrier.MaxDelaySeconds = toTwinSeconds(retrier.MaxDelaySeconds);
      }
      if (state.Type !== 'Task') continue;
      if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) state.TimeoutSeconds = AWS_DEFAULT_TASK_TIMEOUT_SECONDS;
      // A job run (.sync) with HeartbeatSeconds must hear from its job that often. No job in the twin sends heartbeats
      // (it has no SendTaskHeartbeat), so the first heartbeat deadline ends the task with States.Timeout, as it would
      // in AWS. (Beside a TimeoutSecondsPath, which the interpreter reads at run time, the heartbeat is not applied.)
      if (state.HeartbeatSeconds !== undefined && state.TimeoutSeconds !== undefined && /\.sync(:\d+)?$/.test(state.Resource ?? '')) {
        state.TimeoutSeconds = Math.min(state.TimeoutSeconds, state.HeartbeatSeconds);
      }
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
    return { definition: copy, templates, maps: distributedMapsToTasks(copy) };
  }

  /**
   * For the test run's state coverage (state-coverage.ts), where it is recorded: reports each state a flow (an
   * execution, or a Distributed Map's child run) enters, with the state before it in that flow. States inside an inline
   * Map or Parallel (events with a parent state) are entered but take no transition of the flow: their iterations
   * interleave.
   */
  private coverageOfFlow(stateMachineArn: string): (event: Record<string, unknown>, state: string) => void {
    const machine = this.machines.get(stateMachineArn);
    let previous: string | undefined;
    return (event, state) => {
      const inFlow = event.parentState === undefined;
      if (machine) this.coverage?.entered(machine.logicalId, state, inFlow ? previous : undefined);
      if (inFlow) previous = state;
    };
  }

  /** The states a Distributed Map's child run enters: its history is not the execution's, but they ran. */
  private async recordChildStates(stateMachineArn: string, logs: AsyncGenerator<Record<string, unknown>>): Promise<void> {
    const entered = this.coverageOfFlow(stateMachineArn);
    for await (const event of logs) {
      if (TERMINAL_EVENTS.has(String(event.type))) break;
      const name = (event.state as { name?: string } | undefined)?.name;
      if (event.type === 'StateEntered' && name) entered(event, name);
    }
  }

  private overrides({ definition, templates, maps }: Prepared, context: Record<string, unknown>, stopped: AbortSignal) {
    const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    const waitTimeOverrides: Record<string, number> = {};
    const overrides = { taskResourceLocalHandlers, waitTimeOverrides };
    const processors = [...maps.values()].map((spec) => spec.ItemProcessor as unknown as AslDefinition);
    for (const [name, state] of [definition, ...processors].flatMap((d) => [...allNamedStates(d)])) {
      if (state.Type === 'Task' && state.Resource) {
        const map = maps.get(name);
        const handler = map ? (input: unknown) => this.runMap(name, map, input, context, overrides, stopped) : taskHandler(state.Resource, this.integrations!);
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
    return overrides as never;
  }

  /**
   * A Distributed Map state: its children run the item processor in the interpreter with the execution's overrides
   * (so their tasks reach the same integrations and their waits run on the twin's clock), each with a context of its
   * own, as the child executions Step Functions starts.
   */
  private runMap(stateName: string, spec: DistributedMapSpec, input: unknown, context: Record<string, unknown>, overrides: unknown, stopped: AbortSignal) {
    const executionArn = String((context.Execution as { Id: string }).Id);
    const seen = new Set<string>();
    // Kept from the map run's start: one stopped with its execution ends after the execution's run is gone. (Not taken
    // here: the interpreter reaches a first state synchronously, before the run is registered.)
    let history: MapRunEvents | undefined;
    return runDistributedMap(spec, input, {
      stateName,
      executionArn,
      context,
      store: this.integrations!.objectStore,
      signal: stopped,
      runChild: (childInput, child) => {
        const childContext = { ...context, Execution: { ...(context.Execution as object), Id: `${executionArn}/${child.name}`, Name: child.name, Input: childInput } };
        // Validated with the whole definition already, as the library does for an inline Map's iterator.
        const library = new StateMachine(spec.ItemProcessor as never, { validationOptions: { noValidate: true } }).run(childInput as never, {
          overrides: overrides as never,
          context: childContext as never,
          noThrowOnAbort: true,
        });
        if (this.coverage) void this.recordChildStates(String((context.StateMachine as { Id: string }).Id), library.eventLogs as AsyncGenerator<Record<string, unknown>>);
        return { result: library.result.catch((err: Error & { cause?: Error }) => Promise.reject(err.cause ?? err)), abort: () => library.abort() };
      },
      onChange: (mapRun) => {
        const execution = this.describe(executionArn);
        history ??= this.runs.get(executionArn)?.mapRunEvents;
        if (!seen.has(mapRun.mapRunArn)) {
          seen.add(mapRun.mapRunArn);
          this.mapRuns.push(mapRun);
          history?.add(stateName, { type: 'MapRunStarted', state: stateName, stateType: 'Map', at: mapRun.startDate.toISOString(), detail: JSON.stringify({ mapRunArn: mapRun.mapRunArn }) }, true);
          this.timeline.add('execution', `${execution.stateMachineName}: ${stateName} map run of ${mapRun.itemCounts.total} items in ${mapRun.executionCounts.total} child runs, ${mapRun.maxConcurrency} at a time`);
        } else if (mapRun.status !== 'RUNNING') {
          const type = { SUCCEEDED: 'MapRunSucceeded', FAILED: 'MapRunFailed', ABORTED: 'MapRunAborted' }[mapRun.status];
          const { succeeded, failed } = mapRun.executionCounts;
          history?.add(stateName, { type, state: stateName, stateType: 'Map', at: (mapRun.stopDate ?? new Date()).toISOString(), detail: JSON.stringify({ mapRunArn: mapRun.mapRunArn, succeeded, failed }), ...(mapRun.error && { error: mapRun.error }) }, false);
          this.timeline.add('execution', `${execution.stateMachineName}: ${stateName} map run ${mapRun.status} (${succeeded} child runs succeeded, ${failed} failed)`);
        }
        this.notify(execution);
      },
    });
  }
}

interface Prepared {
  readonly definition: AslDefinition;
  readonly templates: Map<string, { parameters?: Template; resultSelector?: Template }>;
  /** Distributed Map states, by name, that the twin runs itself (they are Tasks in `definition`). */
  readonly maps: Map<string, DistributedMapSpec>;
}

const INTERPRETER_VALIDATION = { checkPaths: false, checkArn: false };
/** The Resource of a Distributed Map state turned into a Task: no integration has it, the twin's map run answers it. */
const DISTRIBUTED_MAP_RESOURCE = 'twin:distributed-map';

/**
 * Turns every DISTRIBUTED Map state (at any depth) into a Task the twin answers: the map run's fields leave the state;
 * InputPath, ResultSelector, ResultPath, OutputPath, Retry, Catch and Next stay, so the interpreter applies them as
 * to any task. A Task has no default timeout here (see AWS_DEFAULT_TASK_TIMEOUT_SECONDS), like the Map state.
 */
function distributedMapsToTasks(definition: AslDefinition): Map<string, DistributedMapSpec> {
  const maps = new Map<string, DistributedMapSpec>();
  const distributed = [...allNamedStates(definition)].filter(([, state]) => state.Type === 'Map' && state.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED');
  for (const [name, state] of distributed) {
    const fields = state as unknown as Record<string, unknown>;
    maps.set(name, parseDistributedMap(name, fields));
    for (const field of MAP_RUN_FIELDS) delete fields[field];
    Object.assign(fields, { Type: 'Task', Resource: DISTRIBUTED_MAP_RESOURCE, TimeoutSeconds: AWS_DEFAULT_TASK_TIMEOUT_SECONDS });
  }
  return maps;
}

function* allNamedStates(definition: AslDefinition): Generator<[string, AslState]> {
  for (const [name, state] of Object.entries(definition.States)) {
    yield [name, state];
    yield* statesInside(state);
  }
}

/**
 * Every `from -> to` a flow can take (a Next, a Choice's branch or default, a Catch), in the definition and in each
 * Distributed Map's item processor, whose child runs are flows of their own; not inside an inline Map or Parallel,
 * whose iterations' states interleave in the history.
 */
function transitionsOf(definition: AslDefinition): string[] {
  const transitions = new Set<string>();
  for (const [name, state] of Object.entries(definition.States)) {
    const targets = [state.Next, state.Default, ...(state.Choices ?? []).map((choice) => choice.Next), ...(state.Catch ?? []).map((c) => c.Next)];
    for (const target of targets) if (target !== undefined) transitions.add(`${name} -> ${target}`);
    if (state.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED') for (const inner of transitionsOf(state.ItemProcessor)) transitions.add(inner);
  }
  return [...transitions];
}

/** The states of a Parallel state's branches or a Map state's iteration, at any depth. */
function* statesInside(state: AslState): Generator<[string, AslState]> {
  for (const branch of state.Branches ?? []) yield* allNamedStates(branch);
  if (state.Iterator) yield* allNamedStates(state.Iterator);
  if (state.ItemProcessor) yield* allNamedStates(state.ItemProcessor);
}

/** The interpreter's own terminal events; the twin writes the terminal history event from the final status. */
const TERMINAL_EVENTS = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimeout']);

/** The last history event, as Step Functions names it for each final status. */
function terminalEvent(execution: Execution): ExecutionEvent {
  const at = (execution.stopDate ?? new Date()).toISOString();
  const failure = { error: execution.error, cause: execution.cause };
  switch (execution.status) {
    case 'SUCCEEDED':
      return { type: 'ExecutionSucceeded', at, detail: truncate(JSON.stringify({ output: execution.output }), DETAIL_LIMIT) };
    case 'FAILED':
      return { type: 'ExecutionFailed', at, detail: truncate(JSON.stringify(failure), DETAIL_LIMIT), ...failure };
    case 'ABORTED':
      return { type: 'ExecutionAborted', at, detail: truncate(JSON.stringify(failure), DETAIL_LIMIT), ...failure };
    default:
      return { type: 'ExecutionTimedOut', at };
  }
}

/**
 * Error and cause as Step Functions reports them. A task or heartbeat timeout has the error States.Timeout and no
 * cause; the interpreter repeats the error name as its message.
 */
function failureOf(err: { name: string; message: string }): { error: string; cause?: string } {
  const timedOut = err.name === 'States.Timeout' && err.message === 'States.Timeout';
  return { error: err.name, cause: timedOut ? undefined : err.message };
}

/**
 * Step Functions' rule for execution names: 1 to 80 characters, none of them white space, brackets, wildcards,
 * control characters or any of " # % \ ^ | ~ ` $ & , ; : /.
 */
function checkExecutionName(name: string): void {
  const forbidden = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u;
  if (name.length < 1 || name.length > 80 || forbidden.test(name)) {
    throw new AwsServiceError('InvalidName', `Invalid Name: '${name}' (1 to 80 characters, without white space, brackets, wildcards, control characters or " # % \\ ^ | ~ \` $ & , ; : /)`);
  }
}

function truncate(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit)}… (${text.length} chars)` : text;
}

/**
 * The team stacks' names (bin/app.ts): the test run's state coverage reports their state machines. Executions in any
 * stack count, by logical ID: a test's stack of one construct (a DriftMonitor alone) runs the same machine.
 */
const TEAM_STACK_PREFIX = 'Mlops-';
