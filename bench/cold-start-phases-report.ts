/** What bench/cold-start-phases.ts prints and bench/cold-start.ts reads: `<PHASES_MARKER> <json of LoadPhases>`. */
export const PHASES_MARKER = 'COLD_START_PHASES';

/**
 * The steps, in ms; `download` is loadVerifiedModel's time less the registry read, the hash and the archive read: what
 * the download took beyond the registry read, beside which it started (MODEL_ARTIFACT_URI).
 */
export interface LoadPhases {
  clients: number;
  registryRead: number;
  download: number;
  hash: number;
  archive: number;
  sessionCreate: number;
  firstRun: number;
}
