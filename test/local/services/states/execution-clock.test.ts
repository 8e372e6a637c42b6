import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExecutionClock } from '../../../../local/services/states/execution-clock';

describe('ExecutionClock', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts work in real time: a 60 s limit at scale 60 with no pause ends after 60 real seconds', () => {
    // GIVEN
    const onTimeout = vi.fn();
    new ExecutionClock(60, 60, onTimeout);
    // WHEN / THEN
    vi.advanceTimersByTime(59_999);
    expect(onTimeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onTimeout).toHaveBeenCalledTimes(1);
  });

  it('counts a pause (Wait state, retry interval) at template time: 60 s at scale 60 is 1 real second', () => {
    // GIVEN
    const onTimeout = vi.fn();
    const clock = new ExecutionClock(60, 60, onTimeout);
    // WHEN
    clock.pauseStarted('Bake#');
    // THEN
    vi.advanceTimersByTime(999);
    expect(onTimeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onTimeout).toHaveBeenCalledTimes(1);
  });

  it('adds real work and paused template time: 30 s of work, then a pause uses the other 30 s in 0.5 real seconds', () => {
    // GIVEN
    const onTimeout = vi.fn();
    const clock = new ExecutionClock(60, 60, onTimeout);
    vi.advanceTimersByTime(30_000);
    // WHEN
    clock.pauseStarted('Bake#');
    vi.advanceTimersByTime(250);
    // THEN
    expect(clock.elapsed()).toBe(45_000);
    vi.advanceTimersByTime(249);
    expect(onTimeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onTimeout).toHaveBeenCalledTimes(1);
  });

  it('runs fast while any concurrent pause lasts and in real time once all have ended', () => {
    // GIVEN two Map iterations pausing at once
    const clock = new ExecutionClock(10, undefined, () => undefined);
    clock.pauseStarted('Wait#0');
    clock.pauseStarted('Wait#1');
    vi.advanceTimersByTime(100);
    // WHEN one ends
    clock.pauseEnded('Wait#0');
    vi.advanceTimersByTime(100);
    // THEN still fast
    expect(clock.elapsed()).toBe(2_000);
    // WHEN the states inside a Map state that ended are cleared
    clock.pausesEnded((key) => key.startsWith('Wait#'));
    vi.advanceTimersByTime(100);
    // THEN real time again
    expect(clock.elapsed()).toBe(2_100);
  });

  it('ends a pause it does not know without changing the rate', () => {
    const clock = new ExecutionClock(10, undefined, () => undefined);
    clock.pauseStarted('Bake#');
    clock.pauseEnded('Other#');
    vi.advanceTimersByTime(100);
    expect(clock.elapsed()).toBe(1_000);
  });

  it('never fires once stopped, nor without a limit', () => {
    const stopped = vi.fn();
    const unlimited = vi.fn();
    new ExecutionClock(60, 1, stopped).stop();
    new ExecutionClock(60, undefined, unlimited);
    vi.advanceTimersByTime(10_000);
    expect(stopped).not.toHaveBeenCalled();
    expect(unlimited).not.toHaveBeenCalled();
  });

  it('waits out a limit longer than the longest Node timer (a year, as Step Functions allows) in steps', () => {
    // GIVEN
    const onTimeout = vi.fn();
    const year = 365 * 24 * 3600;
    new ExecutionClock(1, year, onTimeout);
    // WHEN / THEN: the 24.8-day timer limit passes without a premature timeout
    vi.advanceTimersByTime(2 ** 31);
    expect(onTimeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(year * 1000 - 2 ** 31 - 1);
    expect(onTimeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onTimeout).toHaveBeenCalledTimes(1);
  });
});
