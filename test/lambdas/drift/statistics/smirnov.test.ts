import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { smirnovSf } from '../../../../lambdas/drift/statistics/smirnov';
import { relativeError } from '../fixtures';

/** scipy.special.smirnov on a grid of n = 150..1e6 (make_smirnov_reference.py next to this file). */
const fixture = JSON.parse(readFileSync(join(__dirname, 'smirnov.json'), 'utf8')) as { cases: { n: number; x: number; sf: number }[] };
/** Results below 1e-280 go through scipy's term-by-term sum (slow at large n); the kolmogorov fixture covers them. */
const cases = fixture.cases.filter((c) => c.sf === 0 || c.sf > 1e-280);

describe('one-sided Smirnov distribution against scipy.special.smirnov', () => {
  it('agrees to 1e-13 relative over n = 150..1,000,000 and p from ~1 to 1e-280', () => {
    // WHEN
    const failures = cases
      .map((c) => ({ ...c, ours: smirnovSf(c.n, c.x) }))
      .filter((c) => relativeError(c.ours, c.sf) > 1e-13)
      .map((c) => `n=${c.n} x=${c.x}: ${c.ours} vs ${c.sf}`);
    // THEN
    expect(cases.length).toBeGreaterThan(400);
    expect(failures).toEqual([]);
  });

  it('matches an mpmath evaluation where scipy itself is off by 7e-15 (n = 1e6, x = 3e-6)', () => {
    // mpmath (60 digits) of 1 - x * (the 4-term upper sum): 0.99998000050734683457; scipy gives ...73538.
    expect(relativeError(smirnovSf(1_000_000, 0.000003), 0.99998000050734683457)).toBeLessThan(1e-15);
  });
});
