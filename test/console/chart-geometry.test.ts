import { describe, expect, it } from 'vitest';
import { autoPeriodSeconds, legendLineCount, linearScale, linePath, niceStep, timeTicks, valueAxis } from '../../console/src/lib/chart-geometry';

describe('valueAxis', () => {
  it('starts non-negative data at zero and ends on a round tick', () => {
    expect(valueAxis([3, 47, 12])).toEqual({ extent: { min: 0, max: 50 }, ticks: [0, 10, 20, 30, 40, 50] });
  });

  it('keeps decimal ticks free of floating point noise', () => {
    expect(valueAxis([0.1, 0.3]).ticks).toEqual([0, 0.1, 0.2, 0.3]);
  });

  it('gives a flat or empty series a usable range', () => {
    expect(valueAxis([]).extent).toEqual({ min: 0, max: 1 });
    expect(valueAxis([0, 0]).extent).toEqual({ min: 0, max: 1 });
  });

  it('spans negative values', () => {
    expect(valueAxis([-5, 5]).extent).toEqual({ min: -6, max: 6 });
  });
});

describe('niceStep', () => {
  it('picks the nearest of 1, 2 or 5 times a power of ten', () => {
    expect([niceStep(100, 4), niceStep(7, 4), niceStep(0.9, 4)]).toEqual([20, 2, 0.2]);
  });
});

describe('timeTicks', () => {
  it('puts ticks on round clock times', () => {
    const start = Date.UTC(2025, 0, 1, 10, 7);
    const ticks = timeTicks({ min: start, max: start + 60 * 60_000 }, 6);
    expect(ticks.map((t) => new Date(t).toISOString().slice(11, 16))).toEqual(['10:10', '10:20', '10:30', '10:40', '10:50', '11:00']);
  });
});

describe('linePath', () => {
  const x = linearScale({ min: 0, max: 100 }, { min: 0, max: 200 });
  const y = linearScale({ min: 0, max: 10 }, { min: 100, max: 0 });

  it('draws a polyline in screen coordinates (y grows downwards)', () => {
    expect(linePath({ timestamps: [0, 50, 100], values: [0, 5, 10] }, x, y)).toBe('M0,100L100,50L200,0');
  });

  it('breaks the line across gaps in the data', () => {
    expect(linePath({ timestamps: [0, 10, 90], values: [1, 1, 1] }, x, y, 20)).toBe('M0,90L20,90M180,90');
  });

  it('is empty for no data', () => {
    expect(linePath({ timestamps: [], values: [] }, x, y)).toBe('');
  });
});

describe('autoPeriodSeconds', () => {
  it('picks a standard period giving about sixty points', () => {
    expect([autoPeriodSeconds(15 * 60_000), autoPeriodSeconds(60 * 60_000), autoPeriodSeconds(24 * 3600_000)]).toEqual([30, 60, 3600]);
  });
});

describe('legendLineCount', () => {
  it('packs short entries side by side and starts a new line when the next one does not fit', () => {
    expect(legendLineCount([], 400)).toBe(0);
    expect(legendLineCount(['p50', 'p99'], 400)).toBe(1);
    // 70 + 6.5 * 20 = 200 px each: two fit in 400 px, the third goes below.
    expect(legendLineCount(['a'.repeat(20), 'b'.repeat(20), 'c'.repeat(20)], 400)).toBe(2);
  });

  it('gives an entry wider than the widget the lines its wrapped label needs', () => {
    const long = 'Registry changes published (stream publisher runs; one per batch of version transitions)';
    expect(legendLineCount([long], 300)).toBe(Math.ceil((70 + 6.5 * long.length) / 300));
    expect(legendLineCount(['Started', long, 'Errors'], 300)).toBe(1 + Math.ceil((70 + 6.5 * long.length) / 300) + 1);
  });
});
