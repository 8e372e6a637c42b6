import { describe, expect, it } from 'vitest';
import { describeOutcome, executionKind, mapRunProgress, pendingSteps, stepsOf } from '../../console/src/lib/run-progress';
import type { ExecutionView, ExecutionEvent, MapRunCounts, StateMachineFlow } from '../../contracts/twin-api';

const at = (second: number) => new Date(Date.UTC(2025, 0, 1, 12, 0, second)).toISOString();
const entered = (state: string, second: number): ExecutionEvent => ({ type: 'StateEntered', state, at: at(second) });
const exited = (state: string, second: number): ExecutionEvent => ({ type: 'StateExited', state, at: at(second) });

function execution(partial: Partial<ExecutionView> & Pick<ExecutionView, 'events' | 'status'>): ExecutionView {
  return { executionArn: 'arn:aws:states:us-east-1:000000000000:execution:sm:run-1', stateMachineName: 'TrainingPipeline', name: 'run-1', startDate: at(0), stopDate: null, input: {}, output: null, error: null, cause: null, mapRuns: [], ...partial };
}

describe('stepsOf', () => {
  it('follows states in order of entry with their durations', () => {
    const steps = stepsOf(execution({ status: 'RUNNING', events: [entered('Process', 0), exited('Process', 4), entered('Train', 4)] }));
    expect(steps).toEqual([
      { name: 'Process', status: 'succeeded', enteredAt: Date.parse(at(0)), exitedAt: Date.parse(at(4)), retries: 0 },
      { name: 'Train', status: 'running', enteredAt: Date.parse(at(4)), retries: 0 },
    ]);
  });

  it('marks a failed state with its error and cause, and a caught one as handled', () => {
    const steps = stepsOf(
      execution({
        status: 'FAILED',
        events: [
          entered('Train', 0),
          { type: 'StateFailed', state: 'Train', at: at(3), detail: JSON.stringify({ Error: 'TrainingJobFailed', Cause: 'trainer exited with code 1' }) },
          entered('RecordFailure', 3),
          exited('RecordFailure', 4),
        ],
      }),
    );
    expect(steps[0]).toMatchObject({ status: 'failed', error: 'TrainingJobFailed', cause: 'trainer exited with code 1' });
    const caught = stepsOf(execution({ status: 'FAILED', events: [entered('Holdout', 0), { type: 'StateCaught', state: 'Holdout', at: at(1), detail: JSON.stringify({ error: 'HoldoutParityError', cause: 'auc 0.91 vs 0.87' }) }] }));
    expect(caught[0]).toMatchObject({ status: 'caught', error: 'HoldoutParityError' });
  });

  it('reads the JSON text detail the twin records and the Lambda error message inside a cause', () => {
    const cause = JSON.stringify({ errorType: 'HoldoutParityError', errorMessage: 'auc 0.8712 differs from 0.9120', trace: ['at x'] });
    const steps = stepsOf(
      execution({ status: 'FAILED', events: [entered('Holdout', 0), { type: 'StateFailed', state: 'Holdout', at: at(1), detail: JSON.stringify({ error: 'HoldoutParityError', cause }) }] }),
    );
    expect(steps[0]).toMatchObject({ status: 'failed', error: 'HoldoutParityError', cause: 'auc 0.8712 differs from 0.9120' });
  });

  it('keeps a failed state visible when its detail was truncated', () => {
    const steps = stepsOf(execution({ status: 'FAILED', events: [entered('Train', 0), { type: 'StateFailed', state: 'Train', at: at(1), detail: '{"error":"States.TaskFailed","cause":"{\\"err' }] }));
    expect(steps[0]).toMatchObject({ status: 'failed' });
  });

  it('counts retries and accepts Step Functions history event names', () => {
    const steps = stepsOf(
      execution({
        status: 'SUCCEEDED',
        events: [
          { type: 'TaskStateEntered', state: 'Evaluate', at: at(0) },
          // The twin records a retried attempt as Failed then Retried; the retry that follows succeeds.
          { type: 'StateFailed', state: 'Evaluate', at: at(1), detail: JSON.stringify({ error: 'Lambda.TooManyRequestsException' }) },
          { type: 'StateRetried', state: 'Evaluate', at: at(1) },
          { type: 'TaskStateExited', state: 'Evaluate', at: at(2) },
        ],
      }),
    );
    expect(steps).toMatchObject([{ name: 'Evaluate', status: 'succeeded', retries: 1, exitedAt: Date.parse(at(2)) }]);
  });

  it('blames the state still running when the execution failed without a state event', () => {
    const steps = stepsOf(execution({ status: 'FAILED', stopDate: at(9), error: 'States.Timeout', cause: 'timed out', events: [entered('Train', 0)] }));
    expect(steps[0]).toMatchObject({ status: 'failed', error: 'States.Timeout', cause: 'timed out', exitedAt: Date.parse(at(9)) });
  });

  it('ends a Fail state with the execution without repeating an error already shown on the failed task', () => {
    const steps = stepsOf(
      execution({
        status: 'FAILED',
        stopDate: at(5),
        error: 'States.TaskFailed',
        cause: '{"errorType":"TrainingJobFailed"}',
        events: [entered('Train', 0), { type: 'StateFailed', state: 'Train', at: at(2), detail: JSON.stringify({ Error: 'TrainingJobFailed', Cause: 'exit 1' }) }, entered('Fail', 4)],
      }),
    );
    expect(steps[1]).toEqual({ name: 'Fail', status: 'failed', enteredAt: Date.parse(at(4)), exitedAt: Date.parse(at(5)), retries: 0 });
  });
});

describe('describeOutcome', () => {
  const outcomeOf = (e: ExecutionView) => describeOutcome(e, stepsOf(e));

  it('names a failed training job', () => {
    const e = execution({ status: 'FAILED', events: [entered('Process', 0), exited('Process', 1), entered('Train', 1), { type: 'StateFailed', state: 'Train', at: at(2), detail: JSON.stringify({ Error: 'SageMaker.TrainingJobFailed', Cause: 'AlgorithmError: label column missing' }) }] });
    expect(outcomeOf(e)).toEqual({ tone: 'danger', headline: 'Training job failed', detail: 'AlgorithmError: label column missing' });
  });

  it('names a holdout parity failure that rolled the deployment back', () => {
    const e = execution({
      stateMachineName: 'DeploymentFlow',
      status: 'SUCCEEDED',
      events: [entered('Begin', 0), exited('Begin', 1), entered('Holdout', 1), { type: 'StateCaught', state: 'Holdout', at: at(2), detail: JSON.stringify({ Error: 'HoldoutParityError', Cause: 'auc 0.8712 differs from evaluation 0.9120 by more than 0.001' }) }, entered('Rollback', 2), exited('Rollback', 3)],
    });
    expect(outcomeOf(e)).toEqual({ tone: 'danger', headline: 'Holdout parity failed — deployment rolled back', detail: 'auc 0.8712 differs from evaluation 0.9120 by more than 0.001' });
  });

  it('names a rollback after an alarm', () => {
    const e = execution({ stateMachineName: 'DeploymentFlow', status: 'SUCCEEDED', events: [entered('Alarms', 0), { type: 'StateFailed', state: 'Alarms', at: at(1), detail: JSON.stringify({ error: 'AlarmFired' }) }, entered('Rollback', 1), exited('Rollback', 2)] });
    expect(outcomeOf(e).headline).toBe('Rolled back after Alarms failed');
  });

  it('reports progress and success', () => {
    expect(outcomeOf(execution({ status: 'RUNNING', events: [entered('Canary', 0)] }))).toEqual({ tone: 'progress', headline: 'Running: Canary' });
    expect(outcomeOf(execution({ status: 'SUCCEEDED', events: [entered('Finalize', 0), exited('Finalize', 1)] }))).toEqual({ tone: 'success', headline: 'Succeeded' });
  });
});

describe('pendingSteps', () => {
  /** A flow from `[name, type, next?, default?]` rows; the first row is StartAt. */
  const flow = (...rows: [string, string, string?, string?][]): StateMachineFlow => ({
    name: 'TrainingPipeline',
    startAt: rows[0][0],
    states: Object.fromEntries(rows.map(([name, type, next, otherwise]) => [name, { type, next, default: otherwise }])),
  });
  /** Names of the pending steps of a running execution that entered `states` in order (none: not started yet). */
  const ahead = (machine: StateMachineFlow, ...states: string[]) => {
    const e = execution({ status: 'RUNNING', events: states.map((state, i) => entered(state, i)) });
    return pendingSteps(e, stepsOf(e), machine).map((step) => step.name);
  };

  const linear = flow(['Process', 'Task', 'Train'], ['Train', 'Task', 'Evaluate'], ['Evaluate', 'Task', 'Registered'], ['Registered', 'Succeed']);

  it('lists the states after the current one along Next, up to the terminal state, as pending steps without times', () => {
    const e = execution({ status: 'RUNNING', events: [entered('Process', 0), exited('Process', 1), entered('Train', 1)] });
    expect(pendingSteps(e, stepsOf(e), linear)).toEqual([
      { name: 'Evaluate', status: 'pending' },
      { name: 'Registered', status: 'pending' },
    ]);
    expect(ahead(linear)).toEqual(['Process', 'Train', 'Evaluate', 'Registered']);
    expect(ahead(flow(['Process', 'Task', 'Train'], ['Train', 'Task'], ['Unreached', 'Pass']), 'Process')).toEqual(['Train']);
  });

  it('follows a Choice to its Default, stops at one without (the data picks the branch), and at a Default that ends in a Fail state', () => {
    const gate = (otherwise?: string) =>
      flow(['Evaluate', 'Task', 'Gate'], ['Gate', 'Choice', undefined, otherwise], ['Promote', 'Task', 'Deployed'], ['Deployed', 'Succeed'], ['BelowGate', 'Pass', 'RunFailed'], ['RunFailed', 'Fail']);
    expect(ahead(gate('Promote'), 'Evaluate')).toEqual(['Gate', 'Promote', 'Deployed']);
    expect(ahead(gate(undefined), 'Evaluate')).toEqual(['Gate']);
    expect(ahead(gate('BelowGate'), 'Evaluate')).toEqual(['Gate']);
  });

  it('stops a loop at the first state already on the path', () => {
    const poll = flow(['Submit', 'Task', 'Wait'], ['Wait', 'Wait', 'Check'], ['Check', 'Task', 'Done?'], ['Done?', 'Choice', undefined, 'Wait'], ['Finish', 'Succeed']);
    expect(ahead(poll, 'Submit', 'Wait', 'Check')).toEqual(['Done?', 'Wait']);
    expect(ahead(poll, 'Submit')).toEqual(['Wait', 'Check', 'Done?']);
  });

  it('gives a finished execution, or one whose state machine the twin does not list, no pending steps', () => {
    for (const status of ['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'] as const) {
      const e = execution({ status, events: [entered('Process', 0)] });
      expect(pendingSteps(e, stepsOf(e), linear)).toEqual([]);
    }
    const running = execution({ status: 'RUNNING', events: [entered('Process', 0)] });
    expect(pendingSteps(running, stepsOf(running), undefined)).toEqual([]);
  });

  it('goes on from a Catch target along its own Next, and leaves Catch targets off the success path', () => {
    // Train catches into RecordFailure; the flow has no edge to it that the path follows.
    const caught = flow(['Train', 'Task', 'Evaluate'], ['Evaluate', 'Task', 'Registered'], ['Registered', 'Succeed'], ['RecordFailure', 'Task', 'RunFailed'], ['RunFailed', 'Fail']);
    expect(ahead(caught, 'Train')).toEqual(['Evaluate', 'Registered']);
    expect(ahead(caught, 'Train', 'RecordFailure')).toEqual(['RunFailed']);
    // Between the catch and entering its target, the state ahead is not the caught state's Next.
    const e = execution({ status: 'RUNNING', events: [entered('Train', 0), { type: 'StateFailed', state: 'Train', at: at(1) }, { type: 'StateCaught', state: 'Train', at: at(1) }] });
    expect(pendingSteps(e, stepsOf(e), caught)).toEqual([]);
  });

  it('goes on from the top-level state when the last entered states are inside a Parallel branch', () => {
    const parallel = flow(['Fan', 'Parallel', 'Join'], ['Join', 'Pass']);
    expect(ahead(parallel, 'Fan', 'BranchTask')).toEqual(['Join']);
  });
});

describe('executionKind', () => {
  it('tells pipelines from deployments by the state machine name', () => {
    expect([executionKind('fraud-TrainingPipeline1A2B'), executionKind('fraud-DeploymentFlowC3D4'), executionKind('Other')]).toEqual(['pipeline', 'deployment', 'other']);
  });

  it('tells batch scoring runs by the state machine name', () => {
    expect(executionKind('BatchScoringStateMachine6B1D2C3A')).toBe('scoring');
  });
});

describe('mapRunProgress', () => {
  const counts = (partial: Partial<MapRunCounts>): MapRunCounts => ({ total: 20, pending: 0, running: 0, succeeded: 0, failed: 0, aborted: 0, ...partial });
  const mapRun = (itemCounts: MapRunCounts, status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' = 'RUNNING') => ({ mapRunArn: 'arn:aws:states:us-east-1:000000000000:mapRun:sm/ScoreChunks:1', stateName: 'ScoreChunks', status, itemCounts });

  it("counts a scoring run's chunks scored and failed as done, of the total", () => {
    const running = execution({ stateMachineName: 'BatchScoringStateMachine6B1D', status: 'RUNNING', events: [], mapRuns: [mapRun(counts({ succeeded: 12, failed: 1, running: 4, pending: 3 }))] });
    expect(mapRunProgress(running)).toEqual([{ state: 'ScoreChunks', status: 'RUNNING', done: 13, total: 20, failed: 1, label: '12/20 chunks scored, 1 failed' }]);
    const done = execution({ stateMachineName: 'BatchScoringStateMachine6B1D', status: 'SUCCEEDED', events: [], mapRuns: [mapRun(counts({ succeeded: 20 }), 'SUCCEEDED')] });
    expect(mapRunProgress(done)[0]).toMatchObject({ done: 20, total: 20, label: '20/20 chunks scored' });
  });

  it("calls another machine's items items, and gives an execution without a map run none", () => {
    expect(mapRunProgress(execution({ stateMachineName: 'Other', status: 'RUNNING', events: [], mapRuns: [mapRun(counts({ succeeded: 3, aborted: 2 }))] }))[0].label).toBe('3/20 items done, 2 failed');
    expect(mapRunProgress(execution({ status: 'RUNNING', events: [] }))).toEqual([]);
  });
});

describe('describeOutcome of a scoring run', () => {
  it("names the rows, version and manifest of a finished run from the Finish step's result", () => {
    const e = execution({
      stateMachineName: 'BatchScoringStateMachine6B1D',
      status: 'SUCCEEDED',
      events: [entered('Finish', 0), exited('Finish', 1)],
      output: { result: { rows: 12345, version: 2, manifest: 's3://bucket/scores/manifest.json' } },
    });
    expect(describeOutcome(e, stepsOf(e))).toEqual({ tone: 'success', headline: 'Succeeded', detail: '12,345 rows scored with v2; manifest s3://bucket/scores/manifest.json' });
  });
});
