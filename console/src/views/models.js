// @ts-check
import { badge, h, patch } from '../dom';
import { formatRelative, formatTimestamp } from '../lib/format';
import { versionStatusBadge } from '../lib/status';

/**
 * Every model in the registry with its live version and what awaits a decision.
 * @param {import('../app-context').AppContext} context
 * @returns {import('../app-context').View}
 */
export function modelsView(context) {
  const body = h('div');
  const element = h('section', { 'aria-labelledby': 'models-heading' }, h('h1', { id: 'models-heading' }, 'Models'), body);
  return {
    element,
    title: 'Models',
    async refresh() {
      const { models } = await context.client.models();
      const details = await Promise.all(models.map((model) => context.client.model(model.model)));
      patch(body, { details, minute: Math.floor(context.now() / 60_000) }, ({ details }) =>
        details.length === 0
          ? h('p', { class: 'empty' }, 'No models registered yet. Start the training pipeline to register the first version.')
          : h(
              'table',
              { class: 'table' },
              h('thead', {}, h('tr', {}, ['Model', 'Live version', 'Latest version', 'Awaiting approval', 'Updated'].map((label) => h('th', { scope: 'col' }, label)))),
              h(
                'tbody',
                {},
                details.map((model) => {
                  const pending = model.versions.filter((v) => v.status === 'pending_approval');
                  const latest = model.versions.find((v) => v.version === model.latestVersion);
                  return h(
                    'tr',
                    {},
                    h('th', { scope: 'row' }, h('a', { href: `#/models/${encodeURIComponent(model.model)}` }, model.model)),
                    h('td', {}, model.liveVersion === null ? h('span', { class: 'muted' }, 'none') : h('a', { href: `#/models/${encodeURIComponent(model.model)}/versions/${model.liveVersion}` }, `v${model.liveVersion}`)),
                    h('td', {}, latest ? [`v${latest.version} `, badge(versionStatusBadge(latest.status))] : '—'),
                    h(
                      'td',
                      {},
                      pending.length === 0
                        ? h('span', { class: 'muted' }, 'nothing')
                        : pending.map((v) => h('a', { class: 'chip', href: `#/models/${encodeURIComponent(model.model)}/versions/${v.version}` }, `v${v.version}`)),
                    ),
                    h('td', { title: formatTimestamp(model.updatedAt) }, formatRelative(model.updatedAt, context.now())),
                  );
                }),
              ),
            ),
      );
    },
  };
}
