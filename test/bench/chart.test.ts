import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../../bench/bench-result';
import { benchChartSvg } from '../../bench/chart';

const row = (name: string, ratio: number, goal?: number): BenchResult => ({ name, ours: 1, reference: ratio, ratio, unit: 'ms', note: `note of ${name}`, goal });

/** The chart npm run bench writes beside its table. */
describe('benchChartSvg', () => {
  const svg = benchChartSvg(
    [
      { name: 'cold-start', rows: [row('cold start <bundle> & model', 0.6, 1 / 1.3), row('first request', 1.2)] },
      { name: 'drift', rows: [row('KS presorted', 6.6, 5), row('off the axis', 1000)] },
    ],
    'npm run bench, a test',
  );
  const bars = [...svg.matchAll(/<rect x="([\d.]+)" y="\d+" width="([\d.]+)"[^>]* fill="(#[0-9a-f]+)"\/>/g)].map(([, x, width, fill]) => ({ x: Number(x), width: Number(width), fill }));

  it('draws a bar a row, suite by suite, names and notes escaped', () => {
    expect(bars).toHaveLength(4);
    expect(svg).toContain('<text x="4" y="70" class="suite">cold-start</text>');
    expect(svg).toContain('cold start &lt;bundle&gt; &amp; model');
    expect(svg).toContain('<title>note of KS presorted</title>');
    expect(svg).not.toMatch(/<bundle>/);
  });

  it('colours a row that misses its goal red and says so, one that beats the reference green', () => {
    expect(bars.map((bar) => bar.fill)).toEqual(['#c0392b', '#2e7d32', '#2e7d32', '#2e7d32']);
    expect(svg).toContain('0.60x (goal ≥ 0.77x, missed)');
    expect(svg).toContain('6.60x (goal ≥ 5.00x)');
    expect(svg.match(/class="goal"/g)).toHaveLength(2);
  });

  it('draws a bar from 1x, to the left when ours is worse, and keeps one off the axis on the plot', () => {
    const centre = Number(/<line x1="([\d.]+)"[^>]*class="centre"/.exec(svg)![1]);
    const [worse, better, , offAxis] = bars;
    expect(worse.x + worse.width).toBeCloseTo(centre, 0);
    expect(better.x).toBeCloseTo(centre, 0);
    const edge = Number([...svg.matchAll(/<line x1="([\d.]+)"[^>]*class="tick"/g)].pop()![1]);
    expect(offAxis.x + offAxis.width).toBeCloseTo(edge, 0);
  });
});
