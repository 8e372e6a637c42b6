import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { formatIssues } from '../../contracts/validation-issues';
import { createS3Client } from '../../pipelines/common/s3';
import { registryFromEnv } from '../registry/registry-from-env';
import { requiredEnv } from '../shared/env';
import { driftConfigSchema } from './drift-config';
import { runDriftJob, type DriftJobResult } from './drift-job';

const logger = new Logger();
const metrics = new Metrics({ namespace: requiredEnv('METRICS_NAMESPACE') });
// The alarms select on Model (and Feature) alone, so the implicit "service" dimension must not be added.
metrics.clearDefaultDimensions();
const s3 = createS3Client();
const registry = registryFromEnv();

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

/** Scheduled by EventBridge; the event carries nothing the job needs. */
export const handler = async (): Promise<DriftJobResult> =>
  runDriftJob(
    { s3, registry, metrics, logger },
    { bucket: requiredEnv('ARTIFACT_BUCKET'), model: requiredEnv('MODEL_NAME'), config: driftConfig() },
  );
