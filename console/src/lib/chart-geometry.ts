import type { TimeSeries } from './time-series';

/** Pure geometry of a line chart: value ranges, "nice" ticks and SVG path data. No DOM here. */

export interface Extent {
  min: number;
  max: number;
}

export interface LinearScale {
  (value: number): number;
  domain: Extent;
}

export function linearScale(domain: Extent, range: Extent): LinearScale {
  const span = domain.max - domain.min || 1;
  const scale = ((value: number) => range.min + ((value - domain.min) / span) * (range.max - range.min)) as LinearScale;
  scale.domain = domain;
  return scale;
}

/** Step nearest to `span / count` among 1, 2 and 5 times a power of ten. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  return nice * power;
}

/**
 * The y axis for a set of values and threshold lines: starts at zero for non-negative data (as CloudWatch does),
 * ends on a tick, and never collapses to an empty range.
 */
export function valueAxis(values: readonly number[], count = 4): { extent: Extent; ticks: number[] } {
  const finite = values.filter(Number.isFinite);
  let min = finite.length ? Math.min(...finite) : 0;
  let max = finite.length ? Math.max(...finite) : 1;
  if (min >= 0) min = 0;
  if (max === min) max = min + (Math.abs(min) || 1);
  const step = niceStep(max - min, count);
  const start = Math.floor(min / step) * step;
  const end = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  // Rounding to the step's precision keeps 0.1 + 0.2 style drift out of tick labels.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  for (let tick = start; tick <= end + step / 2; tick += step) ticks.push(Number(tick.toFixed(decimals)));
  return { extent: { min: start, max: end }, ticks };
}

const TIME_STEPS_MS = [10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);

/** Time ticks on round clock times (every 10 s ... every day), about `count` of them. */
export function timeTicks(extent: Extent, count = 6): number[] {
  const span = extent.max - extent.min;
  const step = TIME_STEPS_MS.find((candidate) => span / candidate <= count) ?? TIME_STEPS_MS.at(-1)!;
  const ticks: number[] = [];
  for (let tick = Math.ceil(extent.min / step) * step; tick <= extent.max; tick += step) ticks.push(tick);
  return ticks;
}

/**
 * SVG path data for a series. Points further apart than `maxGapMillis` are not joined, so missing data shows as a
 * gap rather than a misleading straight line.
 */
export function linePath(series: TimeSeries, x: (time: number) => number, y: (value: number) => number, maxGapMillis = Infinity): string {
  const parts: string[] = [];
  series.timestamps.forEach((time, index) => {
    const joined = index > 0 && time - series.timestamps[index - 1] <= maxGapMillis;
    parts.push(`${joined ? 'L' : 'M'}${round(x(time))},${round(y(series.values[index]))}`);
  });
  return parts.join('');
}

const round = (value: number): number => Math.round(value * 10) / 10;

/** The auto period CloudWatch would pick for a range: about `points` datapoints, on a standard period. */
export function autoPeriodSeconds(rangeMillis: number, points = 60): number {
  const candidates = [1, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400];
  const wanted = rangeMillis / 1000 / points;
  return candidates.find((candidate) => candidate >= wanted) ?? candidates.at(-1)!;
}

/** Legend text: 0.8rem labels (about 6.5 px a character), plus swatch, latest value and gap around each entry. */
const LEGEND_CHAR_PX = 6.5;
const LEGEND_ENTRY_EXTRA_PX = 70;

/**
 * How many lines a chart's legend takes in a widget `width` px wide: entries are packed left to right as the flex
 * layout does, and an entry wider than the widget wraps its own label over several lines.
 */
export function legendLineCount(labels: readonly string[], width: number): number {
  if (labels.length === 0) return 0;
  let lines = 1;
  let used = 0;
  for (const label of labels) {
    const entry = LEGEND_ENTRY_EXTRA_PX + label.length * LEGEND_CHAR_PX;
    if (entry >= width) {
      lines += (used > 0 ? 1 : 0) + Math.ceil(entry / width) - 1;
      used = width;
      continue;
    }
    if (used > 0 && used + entry > width) {
      lines++;
      used = 0;
    }
    used += entry;
  }
  return lines;
}

/** CloudWatch's default palette, used for series without an explicit colour. */
export const SERIES_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
