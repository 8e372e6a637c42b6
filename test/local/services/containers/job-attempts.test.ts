import { describe, expect, it } from 'vitest';
import { retryStrategySchema } from '../../../../local/services/containers/batch-job-request';
import { retriesAfter } from '../../../../local/services/containers/job-attempts';

const exited = (exitCode: number) => ({ exitCode, statusReason: 'Essential container in task exited' });
const strategy = (value: unknown) => retryStrategySchema.parse(value);

/** Batch's decision to run a failed attempt again (RetryStrategy.Attempts and EvaluateOnExit). */
describe('retriesAfter', () => {
  it('retries while attempts remain when no EvaluateOnExit entry is given', () => {
    const threeAttempts = strategy({ Attempts: 3 });

    expect([1, 2, 3].map((attempt) => retriesAfter(threeAttempts, attempt, exited(1)))).toEqual([true, true, false]);
  });

  it('never retries with the default of one attempt', () => {
    expect(retriesAfter(strategy({}), 1, exited(1))).toBe(false);
  });

  it('takes the first entry whose conditions all match, with "*" matching a prefix', () => {
    const rules = strategy({
      Attempts: 5,
      EvaluateOnExit: [
        { OnExitCode: '13*', OnStatusReason: 'Essential*', Action: 'EXIT' },
        { OnExitCode: '1*', Action: 'RETRY' },
        { OnStatusReason: 'Essential container in task exited', Action: 'exit' },
      ],
    });

    expect(retriesAfter(rules, 1, exited(137))).toBe(false);
    expect(retriesAfter(rules, 1, exited(12))).toBe(true);
    expect(retriesAfter(rules, 1, exited(2))).toBe(false);
  });

  it('retries when no entry matches, and an OnReason condition does not match the twin\'s processes, which have no container reason', () => {
    const rules = strategy({ Attempts: 2, EvaluateOnExit: [{ OnReason: 'OutOfMemoryError*', Action: 'EXIT' }] });

    expect(retriesAfter(rules, 1, exited(1))).toBe(true);
  });

  it("matches an attempt that failed before its container ran (no exit code) on its reasons, never on an exit code", () => {
    const rules = strategy({
      Attempts: 3,
      EvaluateOnExit: [
        { OnExitCode: '*', Action: 'EXIT' },
        { OnReason: 'CannotPullContainerError:*', Action: 'RETRY' },
        { OnStatusReason: '*', Action: 'EXIT' },
      ],
    });
    const notStarted = (reason?: string) => ({ statusReason: 'Task failed to start', reason });

    expect(retriesAfter(rules, 1, notStarted('CannotPullContainerError: pull rate limit exceeded'))).toBe(true);
    expect(retriesAfter(rules, 1, notStarted())).toBe(false);
    expect(retriesAfter(rules, 1, exited(1))).toBe(false);
  });

  it('refuses an entry without a condition and an exit code pattern that is not digits', () => {
    const parsed = retryStrategySchema.safeParse({ EvaluateOnExit: [{ Action: 'RETRY' }, { OnExitCode: 'one', Action: 'EXIT' }] });

    expect(parsed.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)).toEqual([
      'EvaluateOnExit.0: an EvaluateOnExit entry needs OnExitCode, OnReason or OnStatusReason',
      'EvaluateOnExit.1.OnExitCode: digits, optionally ending with "*"',
    ]);
  });
});
