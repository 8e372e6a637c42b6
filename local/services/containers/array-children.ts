/** The job states Batch counts in an array parent's `statusSummary`, all present (zero when none). */
const SUMMARY_STATES = ['STARTING', 'FAILED', 'RUNNING', 'SUCCEEDED', 'RUNNABLE', 'SUBMITTED', 'PENDING'] as const;

export type ArrayStatusSummary = Record<(typeof SUMMARY_STATES)[number], number>;

export interface ArrayChildrenOutcome {
  readonly statusSummary: ArrayStatusSummary;
  /** Indexes of the children that failed, ascending. */
  readonly failedIndexes: number[];
}

/**
 * Runs children 0..size-1 at most `concurrency` at a time, in index order of start; a failed child does not stop the
 * others (Batch runs every child and fails the parent at the end). Once `signal` is aborted no child starts, and those
 * never started stay PENDING.
 */
export async function runArrayChildren(
  size: number,
  concurrency: number,
  runChild: (index: number) => Promise<boolean>,
  signal?: AbortSignal,
): Promise<ArrayChildrenOutcome> {
  const statusSummary = Object.fromEntries(SUMMARY_STATES.map((state) => [state, 0])) as ArrayStatusSummary;
  statusSummary.PENDING = size;
  const failedIndexes: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < size && !signal?.aborted) {
      const index = next++;
      statusSummary.PENDING--;
      statusSummary.RUNNING++;
      const succeeded = await runChild(index);
      statusSummary.RUNNING--;
      statusSummary[succeeded ? 'SUCCEEDED' : 'FAILED']++;
      if (!succeeded) failedIndexes.push(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, size) }, worker));
  return { statusSummary, failedIndexes: failedIndexes.sort((a, b) => a - b) };
}
