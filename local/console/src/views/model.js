// @ts-check
import { badge, h, patch } from '../dom';
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
  const versions = h('div');
  const runs = h('div');
  const element = h(
    'section',
    { 'aria-labelledby': 'model-heading' },
    h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/models' }, 'Models'), ' / ', h('span', { 'aria-current': 'page' }, model)),
    h('h1', { id: 'model-heading' }, model),
    summary,
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
                      h('td', {}, v.executionName ? h('a', { href: `#/runs/${encodeURIComponent(v.executionName)}` }, v.executionName) : '—'),
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
                    h('a', { href: `#/runs/${encodeURIComponent(run.executionName)}` }, run.executionName),
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
