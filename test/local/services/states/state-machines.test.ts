import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { CfnOutput, Duration, type Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../local/driver/loop-session';
import { LOCAL_CREDENTIALS } from '../../../../local/services/aws-environment';
import type { ExecutionStatus } from '../../../../local/services/states/state-machines';
import type { ExecutionStatusChange } from '../../../../local/services/states/status-change-event';
import { Twin } from '../../../../local/twin';
import { synthesize } from '../../support/synth';

/** Fails when its input says `fail`, else sleeps for `sleepMs` of its input, then answers. */
const WORKER_CODE = `exports.handler = async (event) => {
  if (event.fail) throw new Error('failing on purpose');
  if (event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
  return { done: true };
};`;
/** The rule's target: prints every event it receives, so the test reads them from its log. */
const WATCHER_CODE = `exports.handler = async (event) => { console.log('STATUS ' + JSON.stringify(event)); };`;

interface DeliveredEvent {
  source: string;
  'detail-type': string;
  resources: string[];
  detail: ExecutionStatusChange;
}

function buildStack(stack: Stack): void {
  const worker = new lambda.Function(stack, 'Worker', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline(WORKER_CODE), timeout: Duration.seconds(10) });
  const watcher = new lambda.Function(stack, 'Watcher', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline(WATCHER_CODE) });
  new CfnOutput(stack, 'WatcherName', { value: watcher.functionName });
  new events.Rule(stack, 'ExecutionStatusChanges', {
    eventPattern: { source: ['aws.states'], detailType: ['Step Functions Execution Status Change'] },
    targets: [new targets.LambdaFunction(watcher)],
  });
  const machine = (id: string, definition: sfn.IChainable, timeout?: Duration) => {
    const created = new sfn.StateMachine(stack, id, { definitionBody: sfn.DefinitionBody.fromChainable(definition), timeout });
    new CfnOutput(stack, `${id}Arn`, { value: created.stateMachineArn });
    return created;
  };
  const slowCall = (id: string) =>
    new tasks.LambdaInvoke(stack, id, { lambdaFunction: worker, payloadResponseOnly: true, taskTimeout: sfn.Timeout.duration(Duration.seconds(1)) });

  machine('Quick', new sfn.Pass(stack, 'Done', { result: sfn.Result.fromObject({ ok: true }) }));
  // 10 minutes of Wait against a 60 s limit: at scale 60 the limit passes after 1 s.
  machine('Bounded', new sfn.Wait(stack, 'LongBake', { time: sfn.WaitTime.duration(Duration.minutes(10)) }), Duration.seconds(60));
  // A 60 s Wait and about 3 s of work: 63 s in AWS, within 120 s. Scaling everything would count 4 real s as 240 s.
  machine(
    'BoundedWork',
    new sfn.Wait(stack, 'ShortBake', { time: sfn.WaitTime.duration(Duration.seconds(60)) }).next(
      new tasks.LambdaInvoke(stack, 'Work', { lambdaFunction: worker, payloadResponseOnly: true }),
    ),
    Duration.seconds(120),
  );
  // Three retries 30 s apart against a 45 s limit: the limit passes half-way through the second interval (0.25 s before
  // its end at scale 60; a limit at the interval's very end would race the interpreter's own retry timer).
  const failing = new tasks.LambdaInvoke(stack, 'AlwaysFails', { lambdaFunction: worker, payloadResponseOnly: true });
  failing.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(30), maxAttempts: 3, backoffRate: 1 });
  machine('RetryBounded', failing, Duration.seconds(45));
  const caught = slowCall('SlowCall');
  caught.addCatch(new sfn.Pass(stack, 'TaskFailedPath'), { errors: ['States.TaskFailed'], resultPath: '$.error' });
  caught.addCatch(new sfn.Pass(stack, 'GaveUp'), { errors: ['States.Timeout'], resultPath: '$.error' });
  machine('TaskTimeoutCaught', caught);
  machine('TaskTimeoutUncaught', slowCall('SlowCallUncaught'));
  // 10 minutes of Wait: 10 s at scale 60.
  const slow = machine('Slow', new sfn.Wait(stack, 'Hold', { time: sfn.WaitTime.duration(Duration.minutes(10)) }));
  machine(
    'Supervisor',
    new tasks.StepFunctionsStartExecution(stack, 'RunSlow', {
      stateMachine: slow,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      heartbeatTimeout: sfn.Timeout.duration(Duration.seconds(1)),
    }),
  );
}

describe('twin Step Functions: execution status changes, timeouts and aborts', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'twin-states-'));
  let twin: Twin;
  let client: SFNClient;

  beforeAll(async () => {
    twin = await Twin.start({ cdkOut: synthesize(buildStack), dataDirectory: join(scratch, 'data'), timeScale: 60 });
    client = new SFNClient({ region: twin.app.env.region, endpoint: twin.url, credentials: LOCAL_CREDENTIALS });
  }, 300_000);

  afterAll(async () => {
    client?.destroy();
    await twin?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** The status-change events of one execution that the rule's Lambda target received, by status. */
  const delivered = (executionArn: string, statuses: ExecutionStatus[]) =>
    waitFor(`events ${statuses.join(', ')} of ${executionArn}`, 15_000, () => {
      const received = (twin.functionLogs.get(twin.output('WatcherName')) ?? [])
        .filter((line) => line.startsWith('STATUS '))
        .map((line) => JSON.parse(line.slice('STATUS '.length)) as DeliveredEvent)
        .filter((event) => event.detail.executionArn === executionArn);
      const byStatus = new Map(received.map((event) => [event.detail.status, event]));
      return statuses.every((status) => byStatus.has(status)) ? byStatus : undefined;
    });

  const history = async (executionArn: string) => (await client.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? [];

  it('puts RUNNING and SUCCEEDED on the default bus, and a rule matching them delivers them with AWS detail to its target', async () => {
    // GIVEN / WHEN
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: twin.output('QuickArn'), name: 'quick-1', input: '{"order":7}' }));
    const execution = await twin.states.describe(executionArn!).done;
    // THEN
    const received = await delivered(executionArn!, ['RUNNING', 'SUCCEEDED']);
    const running = received.get('RUNNING')!;
    expect(running).toMatchObject({ source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change', resources: [executionArn] });
    expect(running.detail).toEqual({
      executionArn,
      stateMachineArn: twin.output('QuickArn'),
      name: 'quick-1',
      status: 'RUNNING',
      startDate: execution.startDate.getTime(),
      stopDate: null,
      input: '{"order":7}',
      inputDetails: { included: true },
      output: null,
      outputDetails: null,
      error: null,
      cause: null,
    });
    expect(received.get('SUCCEEDED')!.detail).toEqual({
      ...running.detail,
      status: 'SUCCEEDED',
      stopDate: execution.stopDate!.getTime(),
      output: '{"ok":true}',
      outputDetails: { included: true },
    });
  });

  it("ends an execution TIMED_OUT at the state machine's TimeoutSeconds, a Wait counting its template duration", async () => {
    // GIVEN a 60 s limit and a 10-minute Wait, at scale 60
    const started = Date.now();
    // WHEN
    const execution = await twin.states.start(twin.output('BoundedArn'), {}, 'bounded-1').done;
    // THEN
    const realSeconds = (Date.now() - started) / 1000;
    expect(execution.status).toBe('TIMED_OUT');
    expect(realSeconds).toBeGreaterThanOrEqual(0.9);
    expect(realSeconds).toBeLessThan(5);
    const described = await client.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
    expect(described).toMatchObject({ status: 'TIMED_OUT', stopDate: execution.stopDate });
    expect(described.error).toBeUndefined();
    expect(described.cause).toBeUndefined();
    expect((await history(execution.executionArn)).map((e) => e.type)).toEqual(['ExecutionStarted', 'WaitStateEntered', 'ExecutionTimedOut']);
    const received = await delivered(execution.executionArn, ['RUNNING', 'TIMED_OUT']);
    expect(received.get('TIMED_OUT')!.detail).toMatchObject({ status: 'TIMED_OUT', stopDate: execution.stopDate!.getTime(), output: null, error: null, cause: null });
  });

  it("counts Retry intervals at their template duration toward the state machine's TimeoutSeconds", async () => {
    const execution = await twin.states.start(twin.output('RetryBoundedArn'), { fail: true }, 'retry-bounded-1').done;
    expect(execution.status).toBe('TIMED_OUT');
    expect(execution.events.filter((e) => e.type === 'StateRetried')).toHaveLength(1);
  });

  it('counts the work between waits in real time, so a Wait and a few seconds of work do not time out', async () => {
    const execution = await twin.states.start(twin.output('BoundedWorkArn'), { sleepMs: 3_000 }, 'bounded-work-1').done;
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.output).toEqual({ done: true });
  });

  it("fails a task at its TimeoutSeconds with States.Timeout, which a Catch of States.Timeout catches and one of States.TaskFailed does not", async () => {
    // WHEN the function takes 3 s and the task allows 1 s
    const execution = await twin.states.start(twin.output('TaskTimeoutCaughtArn'), { sleepMs: 3_000 }, 'task-timeout-caught').done;
    // THEN
    expect(execution.status).toBe('SUCCEEDED');
    const entered = execution.events.filter((e) => e.type === 'StateEntered').map((e) => e.state);
    expect(entered).toEqual(['SlowCall', 'GaveUp']);
    expect(execution.output).toMatchObject({ sleepMs: 3_000, error: { Error: 'States.Timeout' } });
  });

  it('fails the execution on an uncaught task timeout with States.Timeout and no cause, in DescribeExecution, the history and the event', async () => {
    // WHEN
    const execution = await twin.states.start(twin.output('TaskTimeoutUncaughtArn'), { sleepMs: 3_000 }, 'task-timeout-uncaught').done;
    // THEN
    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    expect(execution.cause).toBeUndefined();
    const events = await history(execution.executionArn);
    expect(events.map((e) => e.type)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'TaskTimedOut', 'ExecutionFailed']);
    expect(events[2].taskTimedOutEventDetails).toEqual({ error: 'States.Timeout' });
    expect(events[3].executionFailedEventDetails).toEqual({ error: 'States.Timeout' });
    expect(events.map((e) => [e.id, e.previousEventId])).toEqual([[1, 0], [2, 1], [3, 2], [4, 3]]);
    const received = await delivered(execution.executionArn, ['FAILED']);
    expect(received.get('FAILED')!.detail).toMatchObject({ status: 'FAILED', error: 'States.Timeout', cause: null });
  });

  it('fails a job run (.sync) task with States.Timeout when no heartbeat comes within HeartbeatSeconds', async () => {
    // GIVEN a child execution that waits 10 s (real) and a task that wants a heartbeat every second
    const started = Date.now();
    // WHEN
    const execution = await twin.states.start(twin.output('SupervisorArn'), {}, 'supervisor-1').done;
    // THEN
    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('StopExecution ends a running execution ABORTED at once, with its error and cause in DescribeExecution, the history and the event', async () => {
    // GIVEN an execution in its 10-minute Wait
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: twin.output('SlowArn'), name: 'slow-1' }));
    await waitFor('the Hold state', 5_000, () => (twin.states.describe(executionArn!).events.some((e) => e.state === 'Hold') ? true : undefined), 20);
    // WHEN
    const { stopDate } = await client.send(new StopExecutionCommand({ executionArn, error: 'Deployment.Aborted', cause: 'an operator aborted the deployment' }));
    // THEN DescribeExecution shows it at once
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'ABORTED', stopDate, error: 'Deployment.Aborted', cause: 'an operator aborted the deployment' });
    expect(described.output).toBeUndefined();
    await twin.states.describe(executionArn!).done;
    const events = await history(executionArn!);
    expect(events.map((e) => e.type)).toEqual(['ExecutionStarted', 'WaitStateEntered', 'ExecutionAborted']);
    expect(events[2].executionAbortedEventDetails).toEqual({ error: 'Deployment.Aborted', cause: 'an operator aborted the deployment' });
    const received = await delivered(executionArn!, ['RUNNING', 'ABORTED']);
    expect(received.get('ABORTED')!.detail).toMatchObject({ status: 'ABORTED', stopDate: stopDate!.getTime(), error: 'Deployment.Aborted', cause: 'an operator aborted the deployment' });
    // AND stopping it again changes nothing
    const again = await client.send(new StopExecutionCommand({ executionArn, error: 'Other' }));
    expect(again.stopDate).toEqual(stopDate);
    expect((await client.send(new DescribeExecutionCommand({ executionArn }))).error).toBe('Deployment.Aborted');
  });
});
