// @ts-check
import { badge, h, patch } from '../dom';
import { formatRelative, formatTimestamp } from '../lib/format';
import { alarmStateBadge } from '../lib/status';
import { toEpochMillis } from '../lib/time-series';

/**
 * What the twin did, newest first (events delivered, functions invoked, alarms changing state), and the alarms now.
 * @param {import('../app-context').AppContext} context
 * @returns {import('../app-context').View}
 */
export function activityView(context) {
  const alarms = h('div');
  const timeline = h('div');
  const element = h('section', { 'aria-labelledby': 'activity-heading' }, h('h1', { id: 'activity-heading' }, 'Activity'), h('h2', {}, 'Alarms'), alarms, h('h2', {}, 'Timeline'), timeline);
  return {
    element,
    title: 'Activity',
    async refresh() {
      const state = await context.client.twinState();
      const now = context.now();
      const minute = Math.floor(now / 60_000);
      patch(alarms, { alarms: state.alarms, minute }, ({ alarms }) =>
        alarms.length === 0
          ? h('p', { class: 'empty' }, 'No alarms defined.')
          : h(
              'table',
              { class: 'table' },
              h('thead', {}, h('tr', {}, ['Alarm', 'State', 'Metric', 'Threshold', 'Since', 'Reason'].map((label) => h('th', { scope: 'col' }, label)))),
              h(
                'tbody',
                {},
                alarms.map((alarm) =>
                  h(
                    'tr',
                    {},
                    h('th', { scope: 'row' }, alarm.alarmName),
                    h('td', {}, badge(alarmStateBadge(alarm.state))),
                    h('td', {}, alarm.metricName ? `${alarm.namespace ?? ''} ${alarm.metricName}` : '—'),
                    h('td', {}, alarm.threshold === undefined ? '—' : `${alarm.comparisonOperator ?? ''} ${alarm.threshold}`),
                    h('td', { title: alarm.updatedAt ? formatTimestamp(alarm.updatedAt) : undefined }, alarm.updatedAt ? formatRelative(alarm.updatedAt, now) : '—'),
                    h('td', { class: 'muted' }, alarm.reason ?? ''),
                  ),
                ),
              ),
            ),
      );
      const entries = [...state.timeline].sort((a, b) => toEpochMillis(b.at) - toEpochMillis(a.at)).slice(0, 200);
      patch(timeline, { entries, minute }, ({ entries }) =>
        entries.length === 0
          ? h('p', { class: 'empty' }, 'Nothing has happened yet.')
          : h(
              'ol',
              { class: 'activity' },
              entries.map((entry) =>
                h(
                  'li',
                  { class: 'activity-item' },
                  h('time', { datetime: new Date(toEpochMillis(entry.at)).toISOString(), class: 'muted' }, formatTimestamp(toEpochMillis(entry.at))),
                  h('span', { class: 'tag' }, entry.kind),
                  h('span', {}, entry.message),
                ),
              ),
            ),
      );
    },
  };
}
