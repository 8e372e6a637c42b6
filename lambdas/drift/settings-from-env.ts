import { formatIssues } from '../../contracts/validation-issues';
import { requiredEnv } from '../shared/env';
import { driftConfigSchema } from './drift-config';
import type { DriftJobSettings } from './drift-job';

function driftConfig() {
  let raw: unknown;
  try {
    raw = JSON.parse(requiredEnv('DRIFT_CONFIG'));
  } catch (err) {
    throw new Error(`DRIFT_CONFIG is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = driftConfigSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`DRIFT_CONFIG is invalid: ${formatIssues(parsed.error, 'DRIFT_CONFIG').join('; ')}`);
  return parsed.data;
}

/** The run's settings, shared by the drift state machine's three functions: ARTIFACT_BUCKET, MODEL_NAME, DRIFT_CONFIG. */
export const driftSettingsFromEnv = (): DriftJobSettings => ({ bucket: requiredEnv('ARTIFACT_BUCKET'), model: requiredEnv('MODEL_NAME'), config: driftConfig() });
