import { z } from 'zod';
import { formatIssues } from '../../contracts/validation-issues';
import { requiredEnv } from '../shared/env';
import { heldValuesFor } from './drift-memory';
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

/** Lambda's range of function memory sizes (MB). */
const memorySizeSchema = z.coerce.number().int().min(128).max(10_240);

/** The function's memory size, which Lambda sets in every environment (as does the twin). */
function memorySizeMiB(): number {
  const parsed = memorySizeSchema.safeParse(process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  if (!parsed.success) throw new Error(`AWS_LAMBDA_FUNCTION_MEMORY_SIZE is invalid: ${formatIssues(parsed.error, 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE').join('; ')}`);
  return parsed.data;
}

/**
 * The run's settings, shared by the drift state machine's three functions: ARTIFACT_BUCKET, MODEL_NAME, DRIFT_CONFIG,
 * and the function's memory size, which bounds the feature values it may hold beside the baseline's references.
 */
export function driftSettingsFromEnv(): DriftJobSettings {
  const memoryMiB = memorySizeMiB();
  return {
    bucket: requiredEnv('ARTIFACT_BUCKET'),
    model: requiredEnv('MODEL_NAME'),
    config: driftConfig(),
    memoryMiB,
    heldValues: (references) => heldValuesFor(memoryMiB, references),
  };
}
