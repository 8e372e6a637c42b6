import type { BenchResult } from './bench-result';

/** The rows of one suite of `npm run bench`, in the order they ran. */
export interface BenchSuite {
  readonly name: string;
  readonly rows: readonly BenchResult[];
}

const LABEL_WIDTH = 560;
const PLOT_WIDTH = 420;
const VALUE_WIDTH = 150;
const ROW_HEIGHT = 18;
const HEADER_HEIGHT = 56;
/** The axis: reference/ours from 1/16 to 16, on a log scale centred on 1 (both as fast). */
const AXIS_LIMIT = 16;
const LABEL_CHARACTERS = 100;

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Where a ratio falls on the plot, clamped to the axis. */
function x(ratio: number): number {
  const clamped = Math.min(AXIS_LIMIT, Math.max(1 / AXIS_LIMIT, ratio));
  return LABEL_WIDTH + PLOT_WIDTH / 2 + (Math.log2(clamped) / Math.log2(AXIS_LIMIT)) * (PLOT_WIDTH / 2);
}

/**
 * A bar chart of every row's ratio (reference / ours: right of the centre line ours is better, left it is worse), a
 * suite at a time, with the row's goal marked where it has one and the bar red when the goal is missed. Written by
 * `npm run bench` beside its table, for the reader who would rather see where each figure stands than read 45 rows.
 */
export function benchChartSvg(suites: readonly BenchSuite[], title: string): string {
  const parts: string[] = [];
  let y = HEADER_HEIGHT;
  for (const suite of suites) {
    y += ROW_HEIGHT;
    parts.push(`<text x="4" y="${y - 4}" class="suite">${escapeXml(suite.name)}</text>`);
    for (const row of suite.rows) {
      const top = y + 3;
      const [from, to] = [x(1), x(row.ratio)].sort((a, b) => a - b);
      const missed = row.goal !== undefined && row.ratio < row.goal;
      const fill = missed ? '#c0392b' : row.ratio >= 1 ? '#2e7d32' : '#9e9e9e';
      const label = row.name.length > LABEL_CHARACTERS ? `${row.name.slice(0, LABEL_CHARACTERS - 1)}…` : row.name;
      parts.push(`<text x="12" y="${y + 13}"><title>${escapeXml(row.note ?? row.name)}</title>${escapeXml(label)}</text>`);
      parts.push(`<rect x="${from.toFixed(1)}" y="${top}" width="${Math.max(1, to - from).toFixed(1)}" height="${ROW_HEIGHT - 6}" fill="${fill}"/>`);
      if (row.goal !== undefined) {
        parts.push(`<line x1="${x(row.goal).toFixed(1)}" x2="${x(row.goal).toFixed(1)}" y1="${top - 2}" y2="${top + ROW_HEIGHT - 4}" class="goal"/>`);
      }
      const goal = row.goal === undefined ? '' : ` (goal ≥ ${row.goal.toFixed(2)}x${missed ? ', missed' : ''})`;
      parts.push(`<text x="${LABEL_WIDTH + PLOT_WIDTH + 8}" y="${y + 13}">${row.ratio.toFixed(2)}x${escapeXml(goal)}</text>`);
      y += ROW_HEIGHT;
    }
  }
  const height = y + 12;
  const width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH + 60;
  const ticks = [1 / 16, 1 / 4, 1, 4, 16].map((ratio) => {
    const at = x(ratio).toFixed(1);
    const text = ratio < 1 ? `1/${1 / ratio}` : `${ratio}`;
    return `<line x1="${at}" x2="${at}" y1="${HEADER_HEIGHT - 6}" y2="${height - 8}" class="${ratio === 1 ? 'centre' : 'tick'}"/><text x="${at}" y="${HEADER_HEIGHT - 10}" text-anchor="middle">${text}x</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    '<style>.suite{font-weight:bold;font-size:12px}.tick{stroke:#ddd}.centre{stroke:#333}.goal{stroke:#000;stroke-width:2;stroke-dasharray:2 1}</style>',
    `<text x="4" y="16" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="4" y="32">reference / ours on a log scale: right of 1x ours is better (faster, or less memory), left it is worse; a dashed mark is the row's goal, a red bar misses it. Hover a row for its note.</text>`,
    ...ticks,
    ...parts,
    '</svg>',
  ].join('\n');
}
