/**
 * One row of `npm run bench`: our time and a reference time measured side by side in the same run.
 * `ratio` is reference / ours, so a ratio above 1 means we are faster than the reference.
 */
export interface BenchResult {
  name: string;
  /** Our measurement, in `unit`. */
  ours: number;
  /** The reference measurement (e.g. scipy, or a straightforward implementation), in `unit`. */
  reference: number;
  /** reference / ours. */
  ratio: number;
  unit: string;
  /** What the reference was and anything a reader must know to interpret the figures. */
  note?: string;
  /** The least ratio the row's goal allows, when it has one (a goal of "at most 1.3x the reference's time" is 1/1.3). */
  goal?: number;
}
