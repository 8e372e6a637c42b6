// @ts-check
import { badge, errorNote, h, patch } from '../dom';
import { formatMetricValue, formatRelative, formatTimestamp } from '../lib/format';
import { versionStatusBadge } from '../lib/status';

/**
 * One model: its versions, newest first, and the outcomes of its pipeline runs.
 * @param {import('../app-context').AppContext} context
 * @param {string} model
 * @returns {import('../app-context').View}
 */
export function modelView(context, model) {
  const summary = h('div');
  const deployment = h('div');
  const rollback = h('div');
  // The outcome of an operator action lives outside the forms: the refresh that follows a rollback or an abort removes
  // the form (nothing is live or deploying any more), and the confirmation must outlast it.
  const outcome = h('div', { 'aria-live': 'polite' });
  const versions = h('div');
  const runs = h('div');
  const element = h(
    'section',
    { 'aria-labelledby': 'model-heading' },
    h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/models' }, 'Models'), ' / ', h('span', { 'aria-current': 'page' }, model)),
    h('h1', { id: 'model-heading' }, model),
    summary,
    outcome,
    deployment,
    rollback,
    h('h2', {}, 'Versions'),
    versions,
    h('h2', {}, 'Pipeline runs'),
    runs,
  );
  const versionHref = (/** @type {number} */ version) => `#/models/${encodeURIComponent(model)}/versions/${version}`;
  return {
    element,
    title: model,
    async refresh() {
      const [detail, runList] = await Promise.all([context.client.model(model), context.client.runs(model)]);
      const minute = Math.floor(context.now() / 60_000);
      patch(summary, detail, (d) =>
        h(
          'div',
          { class: 'stat-row' },
          stat('Live version', d.liveVersion === null ? 'none' : h('a', { href: versionHref(d.liveVersion) }, `v${d.liveVersion}`)),
          stat('Deploying', d.deployingVersion === null ? 'nothing' : h('a', { href: versionHref(d.deployingVersion) }, `v${d.deployingVersion}`)),
          stat('Previous live', d.previousLiveVersion === null ? 'none' : `v${d.previousLiveVersion}`),
          stat('Versions', String(d.latestVersion)),
        ),
      );
      // Keyed on the deployment only: a refresh never rebuilds the form while someone types a comment.
      // Offered to operators only; the API refuses anyone else anyway.
      patch(deployment, { version: detail.deployingVersion, execution: detail.deployingExecution, mayAbort: context.can('operator') }, ({ version, execution, mayAbort }) =>
        version === null ? [] : mayAbort ? abortForm(context, outcome, model, version, execution) : h('p', { class: 'note' }, `v${version} is deploying; a person with the operator role can abort it.`),
      );
      // Rolling back the live version restores the previous one; offered to operators while nothing deploys.
      const mayRollBack = context.can('operator') && detail.deployingVersion === null && detail.liveVersion !== null;
      patch(rollback, { live: detail.liveVersion, previous: detail.previousLiveVersion, mayRollBack }, ({ live, previous, mayRollBack }) =>
        mayRollBack && live !== null ? rollbackForm(context, outcome, model, live, previous) : [],
      );
      patch(versions, { versions: detail.versions, minute }, ({ versions }) =>
        versions.length === 0
          ? h('p', { class: 'empty' }, 'No versions yet.')
          : h(
              'table',
              { class: 'table' },
              h('thead', {}, h('tr', {}, ['Version', 'Status', 'Primary metric (holdout)', 'Created', 'Created by', 'Pipeline execution'].map((label) => h('th', { scope: 'col' }, label)))),
              h(
                'tbody',
                {},
                [...versions]
                  .sort((a, b) => b.version - a.version)
                  .map((v) =>
                    h(
                      'tr',
                      {},
                      h('th', { scope: 'row' }, h('a', { href: versionHref(v.version) }, `v${v.version}`)),
                      h('td', {}, badge(versionStatusBadge(v.status))),
                      h('td', {}, v.primaryMetric && v.primaryMetricValue !== null ? `${v.primaryMetric} ${formatMetricValue(v.primaryMetricValue)}` : '—'),
                      h('td', { title: formatTimestamp(v.createdAt) }, formatRelative(v.createdAt, context.now())),
                      h('td', {}, v.createdBy),
                      h('td', {}, v.executionName ? (context.twin ? h('a', { href: `#/runs/${encodeURIComponent(v.executionName)}` }, v.executionName) : h('code', {}, v.executionName)) : '—'),
                    ),
                  ),
              ),
            ),
      );
      patch(runs, { runs: runList.runs, minute }, ({ runs }) =>
        runs.length === 0
          ? h('p', { class: 'empty' }, 'No pipeline runs recorded yet.')
          : h(
              'ul',
              { class: 'run-list' },
              [...runs]
                .sort((a, b) => b.at.localeCompare(a.at))
                .map((run) =>
                  h(
                    'li',
                    { class: `run-outcome run-outcome--${run.status}` },
                    badge(run.status === 'failed' ? { label: 'Failed', tone: 'danger' } : { label: 'Succeeded', tone: 'success' }),
                    ' ',
                    context.twin ? h('a', { href: `#/runs/${encodeURIComponent(run.executionName)}` }, run.executionName) : h('code', {}, run.executionName),
                    run.version ? [' registered ', h('a', { href: versionHref(run.version) }, `v${run.version}`)] : null,
                    h('span', { class: 'muted', title: formatTimestamp(run.at) }, ` · ${formatRelative(run.at, context.now())}`),
                    run.status === 'failed' ? h('p', { class: 'failure', title: run.cause ?? '' }, h('strong', {}, run.error ?? 'Error'), run.reason ?? run.cause ? `: ${run.reason ?? run.cause}` : '') : null,
                  ),
                ),
            ),
      );
    },
  };
}

/**
 * @param {string} label
 * @param {import('../dom').Child} value
 */
const stat = (label, value) => h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, label), h('span', { class: 'stat-value' }, value));

/**
 * Abort the deployment in progress, with a required comment: its execution is stopped, the version rolled back, and
 * the alias serves the live version alone.
 * @param {import('../app-context').AppContext} context
 * @param {HTMLElement} outcome
 * @param {string} model
 * @param {number} version
 * @param {string | null} execution
 */
function abortForm(context, outcome, model, version, execution) {
  return operatorForm(context, outcome, {
    id: 'abort',
    heading: `Deploying v${version}`,
    explanation: `Execution ${execution ?? '(unrecorded)'} is deploying v${version}. Aborting stops it, rolls v${version} back and leaves the live version serving alone.`,
    button: 'Abort deployment',
    progress: 'Aborting…',
    done: `Aborted; v${version} is rolled back.`,
    failed: 'Could not abort',
    act: (comment) => context.client.abortDeployment(model, comment),
  });
}

/**
 * Roll back the live version, with a required comment: the version that was live before it serves again (the
 * deployment flow's Restore path), or nothing does when it was the first.
 * @param {import('../app-context').AppContext} context
 * @param {HTMLElement} outcome
 * @param {string} model
 * @param {number} live
 * @param {number | null} previous
 */
function rollbackForm(context, outcome, model, live, previous) {
  return operatorForm(context, outcome, {
    id: 'rollback',
    heading: `Roll back v${live}`,
    explanation: previous === null ? `v${live} is the first live version: rolling it back leaves no version serving.` : `Rolling back v${live} puts v${previous} back in service.`,
    button: `Roll back v${live}`,
    progress: 'Rolling back…',
    done: previous === null ? `v${live} is rolled back; no version is live.` : `v${live} is rolled back; v${previous} is being restored.`,
    failed: 'Could not roll back',
    act: (comment) => context.client.rollback(model, comment),
  });
}

/**
 * A form for one operator action with a required reason, which goes into the audit trail. Progress and refusals show
 * in the form; the confirmation goes to `outcome`, which outlasts the form.
 * @param {import('../app-context').AppContext} context
 * @param {HTMLElement} outcome
 * @param {{ id: string, heading: string, explanation: string, button: string, progress: string, done: string, failed: string, act: (comment: string) => Promise<unknown> }} action
 */
function operatorForm(context, outcome, action) {
  const comment = h('textarea', { id: `${action.id}-comment`, name: 'comment', rows: 2, required: true, maxlength: 1000 });
  const feedback = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', class: 'button button--danger' }, action.button);
  const form = h(
    'form',
    { class: 'panel panel--decision', 'aria-labelledby': `${action.id}-heading`, novalidate: true },
    h('h2', { id: `${action.id}-heading` }, action.heading),
    h('p', { class: 'muted' }, `${action.explanation} You act as ${context.who()}.`),
    h('label', { for: `${action.id}-comment` }, 'Reason (required)'),
    comment,
    h('div', { class: 'button-row' }, button),
    feedback,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = comment.value.trim();
    if (!text) {
      feedback.replaceChildren(errorNote('A reason is required: it goes into the audit trail.'));
      comment.focus();
      return;
    }
    button.disabled = true;
    outcome.replaceChildren();
    feedback.replaceChildren(h('p', { class: 'note' }, action.progress));
    try {
      await action.act(text);
      feedback.replaceChildren();
      outcome.replaceChildren(h('p', { class: 'note note--success' }, action.done));
      context.refreshSoon();
    } catch (err) {
      feedback.replaceChildren(errorNote(`${action.failed}: ${err instanceof Error ? err.message : String(err)}`));
      button.disabled = false;
    }
  });
  return form;
}
