/** Dashboard time ranges: CloudWatch's relative `start` ("-PT3H", "-P1D") and the picker's choices. */

export const RANGE_CHOICES_MINUTES = [15, 60, 180, 720, 1440, 10_080];

/**
 * The range the console opens with. A twin's metrics are minutes old, so it opens on the last hour rather than the
 * template's own range (often a day), which stays one choice away in the picker.
 */
export const DEFAULT_RANGE_MINUTES = 60;

/** Minutes in an ISO-8601 duration relative to now, such as "-PT3H", "-PT30M" or "-P7D"; undefined if unparseable. */
export function parseRelativeStart(start: string | undefined): number | undefined {
  const match = /^-P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(start ?? '');
  if (!match || match.slice(1).every((part) => part === undefined)) return undefined;
  const [weeks, days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0));
  const total = weeks * 10_080 + days * 1440 + hours * 60 + minutes + seconds / 60;
  return total > 0 ? total : undefined;
}

export function formatRangeChoice(minutes: number): string {
  if (minutes < 60) return `${minutes} minutes`;
  if (minutes < 1440) return `${minutes / 60} hour${minutes === 60 ? '' : 's'}`;
  return `${minutes / 1440} day${minutes === 1440 ? '' : 's'}`;
}
