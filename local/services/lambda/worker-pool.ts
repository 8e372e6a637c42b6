import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** What a finished invocation returns: the handler's result, or Lambda's error payload for a function error. */
export type InvocationOutcome =
  | { ok: true; payload: unknown }
  | { ok: false; payload: { errorType: string; errorMessage: string; trace?: string[] } };

export interface EnvironmentSpec {
  /** Complete environment of the process (the function's variables plus the runtime's). */
  readonly env: Record<string, string>;
  readonly timeoutSeconds: number;
  /** Receives every line the function prints, tagged with its stream. */
  readonly onLogLine: (line: string, stream: 'stdout' | 'stderr') => void;
}

const RUNNER = join(__dirname, 'runner.cjs');
const STOPPED: InvocationOutcome = { ok: false, payload: { errorType: 'Runtime.Unavailable', errorMessage: 'the local twin is stopping' } };
const MAX_ENVIRONMENTS = 8;

/** One warm execution environment (child process). */
class ExecutionEnvironment {
  readonly child: ChildProcess;
  private pending?: { id: string; resolve: (o: InvocationOutcome) => void; timer: NodeJS.Timeout };
  dead = false;
  /** Taken by an invocation (set before the invocation is sent, so two callers never share an environment). */
  reserved = false;

  constructor(private readonly spec: EnvironmentSpec) {
    this.child = fork(RUNNER, [], {
      env: spec.env,
      cwd: spec.env.LAMBDA_TASK_ROOT,
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      createInterface({ input: this.child[stream]! }).on('line', (line) => spec.onLogLine(line, stream));
    }
    this.child.on('message', (message: { type: string; id?: string; result?: unknown; error?: never }) => {
      if (message.type !== 'result' || !this.pending || message.id !== this.pending.id) return;
      this.settle(message.error ? { ok: false, payload: message.error } : { ok: true, payload: message.result });
    });
    // A process that cannot start (its code directory removed while the twin stops) or a closed channel is a runtime
    // failure of this invocation, never an uncaught exception of the twin.
    this.child.on('error', (error) => {
      this.dead = true;
      this.settle({ ok: false, payload: { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${this.pending?.id} Error: ${error.message}` } });
    });
    this.child.on('exit', (code, signal) => {
      this.dead = true;
      this.settle({
        ok: false,
        payload: { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${this.pending?.id} Error: Runtime exited with ${signal ?? `error: exit status ${code}`}` },
      });
    });
  }

  invoke(event: unknown, invokedFunctionArn: string): Promise<InvocationOutcome> {
    const id = randomUUID();
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.settle({
          ok: false,
          payload: { errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${id} Error: Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds` },
        });
        this.stop();
      }, timeoutMs);
      this.pending = { id, resolve, timer };
      this.child.send({ type: 'invoke', id, event, deadlineMs: Date.now() + timeoutMs, invokedFunctionArn }, (error) => {
        if (!error) return;
        this.dead = true;
        this.settle({ ok: false, payload: { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${id} Error: ${error.message}` } });
      });
    });
  }

  stop(): void {
    this.dead = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private settle(outcome: InvocationOutcome): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    pending.resolve(outcome);
  }
}

/**
 * The warm environments of one function version: reused between invocations, a new one started when all are busy
 * (up to MAX_ENVIRONMENTS; beyond that invocations queue, as with reserved concurrency).
 */
export class WorkerPool {
  private readonly environments: ExecutionEnvironment[] = [];
  private readonly queue: Array<() => void> = [];
  private stopped = false;
  private draining = false;

  constructor(private readonly spec: EnvironmentSpec) {}

  async invoke(event: unknown, invokedFunctionArn: string): Promise<InvocationOutcome> {
    // An invocation that arrives while the twin stops (a schedule, a retry) starts no new process.
    const environment = await this.acquire();
    if (!environment) return STOPPED;
    try {
      return await environment.invoke(event, invokedFunctionArn);
    } finally {
      environment.reserved = false;
      if (this.draining && !this.queue.length) environment.stop();
      this.queue.shift()?.();
    }
  }

  /**
   * Retires the pool without failing anyone: idle environments stop now, busy ones after their invocation, and
   * invocations already queued still run here. A configuration or code change does this to the old $LATEST: the
   * next invocation gets a new pool with the new configuration, as Lambda gives it fresh environments.
   */
  drain(): void {
    this.draining = true;
    for (const environment of this.environments) if (!environment.reserved) environment.stop();
  }

  stop(): void {
    this.stopped = true;
    for (const environment of this.environments) environment.stop();
    this.environments.length = 0;
    for (const waiting of this.queue.splice(0)) waiting();
  }

  /** An environment reserved for one invocation; undefined once the pool is stopped. */
  private async acquire(): Promise<ExecutionEnvironment | undefined> {
    for (;;) {
      if (this.stopped) return undefined;
      this.prune();
      const idle = this.environments.find((e) => !e.reserved && !e.dead);
      if (idle) {
        idle.reserved = true;
        return idle;
      }
      // A draining pool still serves what was queued before it retired, on a fresh environment if need be.
      if (this.environments.length < MAX_ENVIRONMENTS) {
        const environment = new ExecutionEnvironment(this.spec);
        environment.reserved = true;
        this.environments.push(environment);
        return environment;
      }
      await new Promise<void>((resolve) => this.queue.push(resolve));
    }
  }

  private prune(): void {
    for (let i = this.environments.length - 1; i >= 0; i--) if (this.environments[i].dead) this.environments.splice(i, 1);
  }
}
