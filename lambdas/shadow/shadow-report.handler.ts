import { Metrics } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { createS3Client } from '../../pipelines/common/s3';
import { parseInput } from '../registry/parse-input';
import { registryFromEnv } from '../registry/registry-from-env';
import { requiredEnv } from '../shared/env';
import { runShadowReport } from './shadow-report-job';

const metrics = new Metrics({ namespace: requiredEnv('METRICS_NAMESPACE') });
// The report's metrics select on Model and ShadowVersion alone: no implicit "service" dimension.
metrics.clearDefaultDimensions();
const deps = { s3: createS3Client(), registry: registryFromEnv(), bucket: requiredEnv('ARTIFACT_BUCKET'), model: requiredEnv('MODEL_NAME'), metrics };

/** EventBridge's scheduled event: the report covers the hour before its `time` (now, when invoked by hand without one). */
const scheduledEventSchema = z.object({ time: z.iso.datetime().optional() });

export const handler = async (event: unknown) => {
  const { time } = parseInput(scheduledEventSchema, event ?? {}, 'scheduled event');
  return runShadowReport(deps, time === undefined ? new Date() : new Date(time));
};
