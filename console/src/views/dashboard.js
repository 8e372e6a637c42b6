// @ts-check
import { lineChart, singleValues } from '../charts';
import { badge, h, patch } from '../dom';
import { autoPeriodSeconds, legendLineCount } from '../lib/chart-geometry';
import { metricQueries, planWidget } from '../lib/dashboard-model';
import { evaluateExpression } from '../lib/expressions';
import { layoutWidgets } from '../lib/grid-layout';
import { renderMarkdown } from '../lib/markdown';
import { alarmStateBadge } from '../lib/status';
import { DEFAULT_RANGE_MINUTES, formatRangeChoice, parseRelativeStart, RANGE_CHOICES_MINUTES } from '../lib/time-range';
import { normaliseSeries } from '../lib/time-series';
import { formatRelative, formatTimestamp } from '../lib/format';

/**
 * @typedef {import('../lib/dashboard-model').WidgetPlan} WidgetPlan
 * @typedef {import('../../../contracts/twin-api').AlarmView} AlarmState
 * @typedef {{ plan: WidgetPlan, placement: import('../lib/grid-layout').Placement, element?: HTMLElement, body?: HTMLElement }} PlacedWidget
 */

/**
 * The team dashboards defined by the template, drawn with the twin's local metrics.
 * @param {import('../app-context').AppContext} context
 * @returns {import('../app-context').View}
 */
export function dashboardView(context) {
  let rangeMinutes = DEFAULT_RANGE_MINUTES;
  const rangeSelect = h('select', { id: 'dashboard-range' });
  const templateRange = h('span', { class: 'muted' });
  rangeSelect.addEventListener('change', () => {
    rangeMinutes = Number(rangeSelect.value);
    context.refreshSoon();
  });
  const traffic = h('div');
  const boards = h('div');
  const element = h(
    'section',
    { 'aria-labelledby': 'dashboard-heading' },
    h('div', { class: 'title-row' }, h('h1', { id: 'dashboard-heading' }, 'Dashboard'), h('div', { class: 'toolbar' }, h('label', { for: 'dashboard-range' }, 'Time range'), rangeSelect, templateRange)),
    traffic,
    boards,
  );
  /** @type {Map<string, PlacedWidget[]>} */
  let layouts = new Map();
  /** Last drawn data per widget, kept so a resize can redraw without fetching. */
  let lastDraw = () => {};
  const resizeObserver = new ResizeObserver(() => lastDraw());
  resizeObserver.observe(boards);

  return {
    element,
    title: 'Dashboard',
    dispose: () => resizeObserver.disconnect(),
    async refresh() {
      const [{ dashboards }, state] = await Promise.all([context.client.dashboards(), context.client.twinState()]);
      const parsed = dashboards.map((dashboard) => ({ name: dashboard.name, body: bodyOf(dashboard.body) }));
      const ownRange = parseRelativeStart(parsed[0]?.body.start);
      patch(rangeSelect, { ownRange }, ({ ownRange }) =>
        [...new Set([...RANGE_CHOICES_MINUTES, ...(ownRange ? [ownRange] : [])])]
          .sort((a, b) => a - b)
          .map((minutes) => h('option', { value: minutes, selected: minutes === rangeMinutes }, formatRangeChoice(minutes))),
      );
      patch(templateRange, { ownRange }, ({ ownRange }) => (ownRange ? document.createTextNode(`template default: ${formatRangeChoice(ownRange)}`) : []));

      patch(traffic, { functions: state.functions }, ({ functions }) => trafficStrip(functions));

      const structure = parsed.map((dashboard) => ({ name: dashboard.name, plans: dashboard.body.widgets.map((widget) => planWidget(widget, state.alarms)), widgets: dashboard.body.widgets }));
      patch(boards, structure, (boardsData) => {
        layouts = new Map();
        if (boardsData.length === 0) return h('p', { class: 'empty' }, 'The synthesized stack defines no dashboard.');
        return boardsData.map(({ name, plans, widgets }) => {
          const placements = layoutWidgets(widgets);
          const placed = plans.map((plan, index) => ({ plan, placement: placements[index] }));
          layouts.set(name, placed);
          return h('section', { class: 'board', 'aria-label': `Dashboard ${name}` }, h('h2', { class: 'board-name' }, name), h('div', { class: 'grid' }, placed.map(widgetFrame)));
        });
      });

      // The twin runs template durations `timeScale` times faster and buckets metrics on periods shortened alike,
      // so an hour of template time is a minute of real time at scale 60.
      const scale = typeof state.timeScale === 'number' && state.timeScale > 0 ? state.timeScale : 1;
      const end = context.now();
      const range = { start: end - (rangeMinutes * 60_000) / scale, end };
      // `periodOverride: inherit` keeps every metric's own period, whatever the range.
      const period = parsed[0]?.body.periodOverride === 'inherit' ? 0 : autoPeriodSeconds(rangeMinutes * 60_000);
      const all = [...layouts.values()].flat();
      const queries = all.flatMap((widget, index) => (widget.plan.kind === 'chart' ? metricQueries(widget.plan.series, period).map((q) => ({ ...q, id: `w${index}_${q.id}` })) : []));
      const { results } = queries.length
        ? await context.client.metrics({ queries, start: new Date(range.start).toISOString(), end: new Date(range.end).toISOString() })
        : { results: [] };
      const byId = new Map(results.map((result) => [result.id, normaliseSeries(result)]));

      lastDraw = () =>
        all.forEach((widget, index) => {
          if (!widget.body) return;
          const size = { width: widget.body.clientWidth, height: widget.body.clientHeight };
          if (widget.plan.kind === 'chart') {
            const plan = widget.plan;
            const inputs = new Map(plan.series.filter((s) => s.kind === 'metric').map((s) => [s.id, byId.get(`w${index}_${s.id}`) ?? { timestamps: [], values: [] }]));
            patch(widget.body, { inputs: [...inputs], size, range, period }, () => drawChart(plan, inputs, range, period, scale, size));
          } else if (widget.plan.kind === 'alarms') {
            const names = widget.plan.alarmNames;
            patch(widget.body, { alarms: state.alarms.filter((alarm) => names.includes(alarm.alarmName)), names, minute: Math.floor(end / 60_000) }, ({ alarms, names }) => alarmList(names, alarms, end));
          }
        });
      lastDraw();
    },
  };
}

/**
 * The twin passes on a body it could not parse as text; it is shown as a text widget saying so.
 * @param {import('../../../contracts/twin-api').DashboardBody | string} body
 * @returns {import('../../../contracts/twin-api').DashboardBody}
 */
function bodyOf(body) {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch (err) {
    return { widgets: [{ type: 'text', width: 24, height: 2, properties: { markdown: `**This dashboard body is not valid JSON** (${String(err)}).` } }] };
  }
}

/** @param {PlacedWidget} widget */
function widgetFrame(widget) {
  const { placement, plan } = widget;
  const style = `grid-column:${placement.column} / span ${placement.width};grid-row:${placement.row} / span ${placement.height};--rows:${placement.height}`;
  if (plan.kind === 'text') {
    const body = h('div', { class: 'widget-body markdown' });
    // renderMarkdown escapes the whole source before adding its own tags (see lib/markdown.ts).
    body.innerHTML = renderMarkdown(plan.markdown);
    return h('article', { class: 'widget widget--text', style }, body);
  }
  if (plan.kind === 'unsupported') {
    return h('article', { class: 'widget', style }, h('h3', { class: 'widget-title' }, plan.title), h('p', { class: 'muted' }, plan.reason));
  }
  widget.body = h('div', { class: 'widget-body' });
  return h('article', { class: `widget widget--${plan.kind}`, style, 'aria-label': plan.title }, h('h3', { class: 'widget-title' }, plan.title), widget.body);
}

/**
 * @param {Extract<WidgetPlan, { kind: 'chart' }>} plan
 * @param {Map<string, import('../lib/time-series').TimeSeries>} inputs
 * @param {{ start: number, end: number }} range
 * @param {number} period the automatic minimum period, template seconds
 * @param {number} scale the twin's time scale
 * @param {{ width: number, height: number }} size
 */
function drawChart(plan, inputs, range, period, scale, size) {
  /** @type {string[]} */
  const problems = plan.error ? [plan.error] : [];
  const metricIds = plan.series.filter((s) => s.kind === 'metric').map((s) => s.id);
  const timestamps = [...new Set([...inputs.values()].flatMap((series) => series.timestamps))].sort((a, b) => a - b);
  const lines = plan.series.flatMap((series) => {
    if (!series.visible) return [];
    if (series.kind === 'metric') return [{ id: series.id, label: series.label, color: series.color, yAxis: series.yAxis, data: inputs.get(series.id) ?? { timestamps: [], values: [] } }];
    try {
      return [{ id: series.id, label: series.label, color: series.color, yAxis: series.yAxis, data: evaluateExpression(series.expression, inputs, metricIds, timestamps) }];
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
      return [];
    }
  });
  const notes = problems.map((problem) => h('p', { class: 'note note--warning' }, problem));
  // Real seconds between datapoints, so the chart joins neighbours and shows gaps where data is missing.
  const widgetPeriod = Math.max(period, ...plan.series.map((series) => (series.kind === 'metric' ? series.period : 0))) / scale;
  if (plan.view === 'singleValue') return [singleValues(lines), ...notes];
  const hasData = lines.some((line) => line.data.values.length > 0);
  // Room for the legend below the chart: 18 px per line of entries.
  const legendLines = legendLineCount(lines.map((line) => line.label), size.width);
  const chartHeight = size.height - 16 - legendLines * 18 - notes.length * 28;
  return [
    lineChart({ title: plan.title, lines, annotations: plan.annotations, range, periodSeconds: widgetPeriod, width: size.width, height: chartHeight, leftLabel: plan.leftLabel }),
    hasData ? h('span') : h('p', { class: 'chart-empty muted' }, 'No datapoints in this range yet.'),
    ...notes,
  ];
}

/**
 * @param {string[]} names
 * @param {AlarmState[]} alarms
 * @param {number} now
 */
function alarmList(names, alarms, now) {
  return h(
    'ul',
    { class: 'alarm-list' },
    names.map((name) => {
      const alarm = alarms.find((a) => a.alarmName === name);
      return h(
        'li',
        { class: `alarm alarm--${alarm ? alarmStateBadge(alarm.state).tone : 'neutral'}` },
        badge(alarm ? alarmStateBadge(alarm.state) : { label: 'Unknown', tone: 'neutral' }),
        h('span', { class: 'alarm-name' }, name),
        alarm?.updatedAt ? h('span', { class: 'muted', title: formatTimestamp(alarm.updatedAt) }, formatRelative(alarm.updatedAt, now)) : null,
        alarm?.reason ? h('p', { class: 'alarm-reason muted' }, alarm.reason) : null,
      );
    }),
  );
}

/**
 * Where each function's `live` alias sends traffic: the canary weight is visible during a deployment.
 * @param {import('../../../contracts/twin-api').FunctionView[]} functions
 */
function trafficStrip(functions) {
  const aliased = functions.flatMap((fn) => fn.aliases.map((alias) => ({ fn, alias })));
  if (aliased.length === 0) return [];
  return h(
    'ul',
    { class: 'traffic', 'aria-label': 'Traffic routing' },
    aliased.map(({ fn, alias }) => {
      const extra = Object.entries(alias.routing ?? {});
      const primaryWeight = 1 - extra.reduce((sum, [, weight]) => sum + weight, 0);
      return h(
        'li',
        { class: 'traffic-item' },
        h('span', { class: 'muted' }, `${fn.name}:${alias.name}`),
        h('strong', {}, ` → version ${alias.version}`),
        extra.length ? ` ${Math.round(primaryWeight * 100)}%, ${extra.map(([version, weight]) => `version ${version} ${Math.round(weight * 100)}%`).join(', ')}` : ' (100%)',
      );
    }),
  );
}
