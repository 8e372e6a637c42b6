/** What bench/cold-start-phases.ts prints and bench/cold-start.ts reads: `<PHASES_MARKER> <json of LoadPhases>`. */
export const PHASES_MARKER = 'COLD_START_PHASES';

/**
 * The steps, in ms; `download` is loadVerifiedModel's time less the registry read, the hash and the archive read: what
 * the download took beyond the registry read, beside which it started (MODEL_ARTIFACT_URI).
 * `predicted`: ms from the process's start to the first prediction's end, with only these steps' code loaded (no
 * handler, capture, metrics or shadow code): the floor under the function's cold start.
 */
export interface LoadPhases {
  predicted: number;
  clients: number;
  registryRead: number;
  download: number;
  hash: number;
  archive: number;
  sessionCreate: number;
  firstRun: number;
}
