// @ts-check
import { badge, h, patch } from '../dom';
import { formatDuration, formatRelative, formatTimestamp } from '../lib/format';
import { describeOutcome, executionKind, mapRunProgress, pendingSteps, stepsOf } from '../lib/run-progress';
import { executionStatusBadge } from '../lib/status';
import { toEpochMillis } from '../lib/time-series';

const KIND_LABEL = { pipeline: 'Training pipeline', deployment: 'Deployment', scoring: 'Batch scoring', other: 'State machine' };
const STEP_LABEL = { running: 'running', succeeded: 'succeeded', failed: 'failed', caught: 'failed, handled', pending: 'pending' };

/**
 * Pipeline, deployment and batch scoring executions with their state-by-state progress, and each Distributed Map's
 * items done (a scoring run's chunks scored). `only` narrows to one execution name.
 * @param {import('../app-context').AppContext} context
 * @param {string} [only]
 * @returns {import('../app-context').View}
 */
export function runsView(context, only) {
  const list = h('div');
  const element = h(
    'section',
    { 'aria-labelledby': 'runs-heading' },
    only ? h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/runs' }, 'Runs'), ' / ', h('span', { 'aria-current': 'page' }, only)) : null,
    h('h1', { id: 'runs-heading' }, only ? `Run ${only}` : 'Runs'),
    list,
  );
  return {
    element,
    title: only ? `Run ${only}` : 'Runs',
    async refresh() {
      const state = await context.client.twinState();
      const executions = state.executions
        .filter((execution) => !only || execution.name === only)
        .sort((a, b) => toEpochMillis(b.startDate) - toEpochMillis(a.startDate));
      // Running executions change every second; finished ones only when the relative time label does.
      const tick = executions.some((e) => e.status === 'RUNNING') ? context.now() : Math.floor(context.now() / 60_000);
      patch(list, { executions, stateMachines: state.stateMachines, tick }, ({ executions, stateMachines }) =>
        executions.length === 0
          ? h('p', { class: 'empty' }, only ? `No execution named ${only} in this twin session.` : 'No executions yet.')
          : h(
              'ol',
              { class: 'executions' },
              executions.map((execution) => executionCard(execution, stateMachines.find((m) => m.name === execution.stateMachineName), context.now())),
            ),
      );
    },
  };
}

/**
 * @param {import('../../../contracts/twin-api').ExecutionView} execution
 * @param {import('../../../contracts/twin-api').StateMachineFlow | undefined} flow the flow the execution runs, for the states ahead
 * @param {number} now
 */
function executionCard(execution, flow, now) {
  const steps = stepsOf(execution);
  const outcome = describeOutcome(execution, steps);
  const started = toEpochMillis(execution.startDate);
  const stopped = execution.stopDate ? toEpochMillis(execution.stopDate) : now;
  const failures = steps.filter((step) => step.status === 'failed' || step.status === 'caught');
  return h(
    'li',
    { class: `execution execution--${outcome.tone}`, 'data-execution': execution.name },
    h(
      'header',
      { class: 'execution-head' },
      h('span', { class: 'execution-kind' }, KIND_LABEL[executionKind(execution.stateMachineName)]),
      h('h2', { class: 'execution-name' }, h('a', { href: `#/runs/${encodeURIComponent(execution.name)}` }, execution.name)),
      badge(executionStatusBadge(execution.status)),
      h('span', { class: 'muted', title: formatTimestamp(started) }, `started ${formatRelative(started, now)} · ${formatDuration(stopped - started)}`),
    ),
    h('p', { class: `outcome outcome--${outcome.tone}`, role: outcome.tone === 'danger' ? 'status' : undefined }, h('strong', {}, outcome.headline), outcome.detail ? h('span', { class: 'outcome-detail' }, ` — ${outcome.detail}`) : null),
    mapRunProgress(execution).map((run) =>
      h(
        'div',
        { class: 'map-run' },
        h('span', { class: 'map-run-label' }, `${run.state}: ${run.label}`),
        h('progress', { max: String(run.total), value: String(run.done), 'aria-label': `${run.state} of ${execution.name}: ${run.label}` }),
      ),
    ),
    h(
      'ol',
      { class: 'steps', 'aria-label': `Steps of ${execution.name}` },
      steps.map((step) =>
        h(
          'li',
          { class: `step step--${step.status}`, title: step.error ? `${step.error}: ${step.cause ?? ''}` : undefined },
          h('span', { class: 'step-name' }, step.name),
          h('span', { class: 'step-state' }, STEP_LABEL[step.status], step.retries ? ` · ${step.retries} ${step.retries === 1 ? 'retry' : 'retries'}` : ''),
          h('span', { class: 'step-time' }, step.exitedAt ? formatDuration(step.exitedAt - step.enteredAt) : formatDuration(now - step.enteredAt)),
        ),
      ),
      pendingSteps(execution, steps, flow).map((step) =>
        h('li', { class: `step step--${step.status}` }, h('span', { class: 'step-name' }, step.name), h('span', { class: 'step-state' }, STEP_LABEL[step.status])),
      ),
    ),
    failures.filter((step) => step.error || step.cause).map((step) =>
      h('div', { class: 'failure' }, h('strong', {}, `${step.name}: ${step.error ?? 'failed'}`), step.cause ? h('pre', { class: 'cause' }, step.cause) : null),
    ),
  );
}
