import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { formatIssues } from '../../contracts/validation-issues';
import { createS3Client } from '../../pipelines/common/s3';
import { registryFromEnv } from '../registry/registry-from-env';
import { requiredEnv } from '../shared/env';
import { qualityConfigSchema, type QualityConfig } from './quality-config';
import { runQualityJob, type QualityReport } from './quality-job';

const logger = new Logger();
const metrics = new Metrics({ namespace: requiredEnv('METRICS_NAMESPACE') });
// The alarms select on Model alone (the served version's quality), so the implicit "service" dimension must not be added.
metrics.clearDefaultDimensions();
const s3 = createS3Client();
const registry = registryFromEnv();

function qualityConfig(): QualityConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(requiredEnv('QUALITY_CONFIG'));
  } catch (err) {
    throw new Error(`QUALITY_CONFIG is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = qualityConfigSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`QUALITY_CONFIG is invalid: ${formatIssues(parsed.error, 'QUALITY_CONFIG').join('; ')}`);
  return parsed.data;
}

/** Scheduled by EventBridge; the event carries nothing the job needs. */
export const handler = async (): Promise<QualityReport> =>
  runQualityJob({ s3, registry, metrics, logger }, { bucket: requiredEnv('ARTIFACT_BUCKET'), model: requiredEnv('MODEL_NAME'), config: qualityConfig() });
