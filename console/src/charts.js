// @ts-check
/** SVG charts drawn from the pure geometry in lib/chart-geometry. */
import { h, s } from './dom';
import { linearScale, linePath, SERIES_COLOURS, timeTicks, valueAxis } from './lib/chart-geometry';
import { formatClock, formatNumber, formatTimestamp } from './lib/format';

/**
 * @typedef {{ id: string, label: string, color?: string, yAxis: 'left' | 'right', data: import('./lib/time-series').TimeSeries }} Line
 * @typedef {import('./lib/dashboard-model').Annotation} Annotation
 */

const MARGIN = { top: 10, bottom: 24, left: 52, right: 16 };
/** Markers make sparse data visible: a single datapoint has no line to draw. */
const MAX_POINTS_WITH_MARKERS = 90;

/**
 * @param {Line[]} lines
 * @returns {(Line & { color: string })[]}
 */
const withColours = (lines) => lines.map((line, index) => ({ ...line, color: line.color ?? SERIES_COLOURS[index % SERIES_COLOURS.length] }));

/**
 * A time-series line chart with axes, ticks, threshold annotations and a legend.
 * @param {{ title: string, lines: Line[], annotations: Annotation[], range: { start: number, end: number }, periodSeconds: number, width: number, height: number, leftLabel?: string }} chart
 */
export function lineChart(chart) {
  const lines = withColours(chart.lines);
  const hasRight = lines.some((line) => line.yAxis === 'right');
  const margin = { ...MARGIN, right: hasRight ? 52 : MARGIN.right };
  const width = Math.max(200, chart.width);
  const height = Math.max(80, chart.height);
  const plot = { left: margin.left, right: width - margin.right, top: margin.top, bottom: height - margin.bottom };

  const x = linearScale({ min: chart.range.start, max: chart.range.end }, { min: plot.left, max: plot.right });
  /** @param {'left' | 'right'} side */
  const axisFor = (side) =>
    valueAxis([
      ...lines.filter((line) => line.yAxis === side).flatMap((line) => line.data.values),
      ...(side === 'left' ? chart.annotations.map((a) => a.value) : []),
    ]);
  const left = axisFor('left');
  const right = hasRight ? axisFor('right') : undefined;
  const yLeft = linearScale(left.extent, { min: plot.bottom, max: plot.top });
  const yRight = right ? linearScale(right.extent, { min: plot.bottom, max: plot.top }) : yLeft;
  const maxGap = chart.periodSeconds * 1000 * 2.5;
  const totalPoints = lines.reduce((sum, line) => sum + line.data.values.length, 0);
  const span = chart.range.end - chart.range.start;

  const svg = s(
    'svg',
    {
      class: 'chart',
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': `${chart.title || 'Chart'}: ${lines.map((line) => `${line.label} ${latest(line)}`).join(', ') || 'no data'}`,
    },
    // Grid and y ticks.
    left.ticks.map((tick) =>
      s('g', { class: 'tick tick--y' }, [
        s('line', { x1: plot.left, x2: plot.right, y1: yLeft(tick), y2: yLeft(tick) }),
        s('text', { x: plot.left - 6, y: yLeft(tick), 'text-anchor': 'end', 'dominant-baseline': 'middle' }, formatNumber(tick)),
      ]),
    ),
    right
      ? right.ticks.map((tick) =>
          s('text', { class: 'tick-label', x: plot.right + 6, y: yRight(tick), 'dominant-baseline': 'middle' }, formatNumber(tick)),
        )
      : [],
    chart.leftLabel
      ? s('text', { class: 'axis-label', transform: `translate(12 ${(plot.top + plot.bottom) / 2}) rotate(-90)`, 'text-anchor': 'middle' }, chart.leftLabel)
      : null,
    // Time axis.
    s('line', { class: 'axis', x1: plot.left, x2: plot.right, y1: plot.bottom, y2: plot.bottom }),
    timeTicks({ min: chart.range.start, max: chart.range.end }, Math.max(2, Math.floor((plot.right - plot.left) / 90))).map((tick) =>
      s('g', { class: 'tick tick--x' }, [
        s('line', { x1: x(tick), x2: x(tick), y1: plot.bottom, y2: plot.bottom + 4 }),
        // A label centred on a tick near the right edge would be cut off: end it at the tick instead.
        s('text', { x: x(tick), y: plot.bottom + 16, 'text-anchor': width - x(tick) < 26 ? 'end' : 'middle' }, formatClock(tick, span)),
      ]),
    ),
    // Threshold annotations.
    chart.annotations.map((annotation) =>
      s('g', { class: 'annotation' }, [
        s('line', { x1: plot.left, x2: plot.right, y1: yLeft(annotation.value), y2: yLeft(annotation.value), stroke: annotation.color ?? '#d62728' }),
        // Above its line, or below it when the line runs along the top of the plot; CloudWatch shows the label alone.
        s(
          'text',
          {
            x: plot.right - 4,
            y: yLeft(annotation.value) - plot.top < 14 ? yLeft(annotation.value) + 12 : yLeft(annotation.value) - 4,
            'text-anchor': 'end',
            fill: annotation.color ?? '#d62728',
          },
          annotation.label ?? `threshold ${formatNumber(annotation.value)}`,
        ),
      ]),
    ),
    // Series.
    lines.map((line) => {
      const y = line.yAxis === 'right' ? yRight : yLeft;
      const visible = {
        timestamps: line.data.timestamps.filter((t) => t >= chart.range.start && t <= chart.range.end),
        values: line.data.values.filter((_, i) => line.data.timestamps[i] >= chart.range.start && line.data.timestamps[i] <= chart.range.end),
      };
      return s('g', { class: 'series', 'data-series': line.id }, [
        s('path', { class: 'series-line', d: linePath(visible, x, y, maxGap), stroke: line.color }),
        totalPoints <= MAX_POINTS_WITH_MARKERS
          ? visible.timestamps.map((t, i) =>
              s('circle', { cx: x(t), cy: y(visible.values[i]), r: 2.5, fill: line.color }, s('title', {}, `${line.label}: ${formatNumber(visible.values[i])} at ${formatTimestamp(t)}`)),
            )
          : [],
      ]);
    }),
  );
  return h('figure', { class: 'chart-figure' }, svg, legend(lines));
}

/** @param {Line} line */
const latest = (line) => {
  const value = line.data.values.at(-1);
  return value === undefined ? '—' : formatNumber(value);
};

/** @param {(Line & { color: string })[]} lines */
function legend(lines) {
  return h(
    'figcaption',
    { class: 'legend' },
    h(
      'ul',
      {},
      lines.map((line) =>
        h(
          'li',
          {},
          h('span', { class: 'swatch', style: `background:${line.color}`, 'aria-hidden': 'true' }),
          h('span', { class: 'legend-label' }, line.label),
          h('span', { class: 'legend-value', title: 'latest value' }, latest(line)),
        ),
      ),
    ),
  );
}

/**
 * CloudWatch's single-value view: the latest value of each series, large.
 * @param {Line[]} lines
 */
export function singleValues(lines) {
  return h(
    'div',
    { class: 'single-values' },
    withColours(lines).map((line) =>
      h('div', { class: 'single-value' }, h('span', { class: 'single-value-number' }, latest(line)), h('span', { class: 'single-value-label' }, line.label)),
    ),
  );
}

/**
 * Grouped horizontal bars: one group per metric, one bar per split (validation, holdout, ...). Each metric gets its
 * own scale because AUC and log loss do not share a unit.
 * @param {Record<string, Record<string, number>>} metricsBySplit
 * @param {string[]} splits
 */
export function splitComparisonChart(metricsBySplit, splits) {
  const metricNames = [...new Set(splits.flatMap((split) => Object.keys(metricsBySplit[split] ?? {})))].sort();
  const barHeight = 14;
  const groupGap = 14;
  const labelWidth = 110;
  const valueWidth = 60;
  const width = 460;
  const groupHeight = splits.length * (barHeight + 3);
  const height = metricNames.length * (groupHeight + groupGap);
  const colours = Object.fromEntries(splits.map((split, i) => [split, SERIES_COLOURS[i % SERIES_COLOURS.length]]));
  const svg = s(
    'svg',
    { class: 'chart chart--bars', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `Metrics by split: ${splits.join(' vs ')}` },
    metricNames.map((metric, group) => {
      const values = splits.map((split) => metricsBySplit[split]?.[metric]);
      const max = Math.max(...values.filter((v) => v !== undefined).map((v) => Math.abs(/** @type {number} */ (v))), 1e-9);
      const top = group * (groupHeight + groupGap);
      return s('g', { class: 'bar-group' }, [
        s('text', { class: 'bar-metric', x: 0, y: top + groupHeight / 2, 'dominant-baseline': 'middle' }, metric),
        splits.map((split, i) => {
          const value = values[i];
          const y = top + i * (barHeight + 3);
          const length = value === undefined ? 0 : (Math.abs(value) / max) * (width - labelWidth - valueWidth);
          return s('g', {}, [
            s('rect', { x: labelWidth, y, width: Math.max(1, length), height: barHeight, rx: 2, fill: colours[split] }, s('title', {}, `${split} ${metric}: ${value ?? 'n/a'}`)),
            s('text', { class: 'bar-value', x: labelWidth + length + 6, y: y + barHeight / 2, 'dominant-baseline': 'middle' }, value === undefined ? 'n/a' : value.toFixed(4)),
          ]);
        }),
      ]);
    }),
  );
  return h(
    'figure',
    { class: 'chart-figure' },
    svg,
    h('figcaption', { class: 'legend' }, h('ul', {}, splits.map((split) => h('li', {}, h('span', { class: 'swatch', style: `background:${colours[split]}`, 'aria-hidden': 'true' }), h('span', { class: 'legend-label' }, split))))),
  );
}
