/** What a fault drill reports: whether the platform behaved as it should, in one line a person reads. */
export interface DrillResult {
  readonly name: string;
  readonly ok: boolean;
  readonly line: string;
}
