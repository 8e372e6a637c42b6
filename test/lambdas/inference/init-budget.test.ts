import { describe, expect, it, vi } from 'vitest';
import { initBudgetMs, settledWithin } from '../../../lambdas/inference/init-budget';

describe('initBudgetMs', () => {
  it('waits for the whole load in an environment prepared ahead of traffic, within its 130 s init', () => {
    expect(initBudgetMs('provisioned-concurrency', 300)).toBe(119_700);
    expect(initBudgetMs('provisioned-concurrency', 125_000)).toBe(0);
  });

  it('stops waiting 8 s into an on-demand init, well before Lambda ends it at 10 s', () => {
    expect(initBudgetMs('on-demand', 250)).toBe(7_750);
    expect(initBudgetMs('on-demand', 9_000)).toBe(0);
  });

  it('treats an unknown or missing initialization type as on demand (the shorter limit)', () => {
    expect(initBudgetMs(undefined, 0)).toBe(8_000);
    expect(initBudgetMs('snap-start', 0)).toBe(8_000);
    expect(initBudgetMs('lambda-managed-instances', 0)).toBe(8_000);
  });
});

describe('settledWithin', () => {
  it('resolves when the work is done, and clears its timer', async () => {
    vi.useFakeTimers();
    try {
      await settledWithin(Promise.resolve('loaded'), 8_000);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('resolves when the work fails: a failed load is reported by the requests, not by the init', async () => {
    await expect(settledWithin(Promise.reject(new Error('registry unreachable')), 8_000)).resolves.toBeUndefined();
  });

  it('resolves when the budget is spent, with the work still pending', async () => {
    vi.useFakeTimers();
    try {
      let settled = false;
      void settledWithin(new Promise(() => undefined), 8_000).then(() => (settled = true));
      await vi.advanceTimersByTimeAsync(7_999);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(settled).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
