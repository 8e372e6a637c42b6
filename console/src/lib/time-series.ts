/** A metric's datapoints as the twin returns them, normalised to epoch milliseconds and sorted by time. */
export interface TimeSeries {
  timestamps: number[];
  values: number[];
}

/** Accepts ISO strings, epoch seconds or epoch milliseconds: callers need not know how the twin encodes time. */
export function toEpochMillis(timestamp: string | number): number {
  if (typeof timestamp === 'string') return Date.parse(timestamp);
  return timestamp < 1e12 ? timestamp * 1000 : timestamp;
}

export function normaliseSeries(raw: { timestamps: readonly (string | number)[]; values: readonly number[] }): TimeSeries {
  const points = raw.timestamps
    .map((t, i) => [toEpochMillis(t), raw.values[i]] as const)
    .filter(([t, v]) => Number.isFinite(t) && typeof v === 'number' && Number.isFinite(v))
    .sort((a, b) => a[0] - b[0]);
  return { timestamps: points.map(([t]) => t), values: points.map(([, v]) => v) };
}
