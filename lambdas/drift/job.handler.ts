import { Logger } from '@aws-lambda-powertools/logger';
import { createS3Client } from '../../pipelines/common/s3';
import { parseInput } from '../registry/parse-input';
import { registryFromEnv } from '../registry/registry-from-env';
import { runDriftJob } from './drift-job';
import { driftMetrics } from './drift-metrics';
import { jobInputSchema } from './run-schemas';
import { driftSettingsFromEnv } from './settings-from-env';
import { stepResult } from './step-result';

const logger = new Logger();
const metrics = driftMetrics();
const s3 = createS3Client();
const registry = registryFromEnv();

/** The drift state machine's first step (see runDriftJob): the whole run for a window of one chunk, else its plan. */
export const handler = async (event: unknown): Promise<ReturnType<typeof stepResult>> => {
  const { execution } = parseInput(jobInputSchema, event, 'drift job input');
  return stepResult(await runDriftJob({ s3, registry, metrics, logger }, driftSettingsFromEnv(), execution));
};
