import { vi } from 'vitest';

/**
 * Captures stdout (where Powertools writes embedded-metric-format documents) and returns a reader of the EMF
 * documents written so far; other output is swallowed. Restore with `vi.restoreAllMocks()`.
 */
export function emfOutput(): () => Record<string, unknown>[] {
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  return () =>
    spy.mock.calls
      .flatMap(([chunk]) => String(chunk).split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
}
