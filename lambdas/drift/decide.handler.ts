import { Logger } from '@aws-lambda-powertools/logger';
import { createS3Client } from '../../pipelines/common/s3';
import { parseInput } from '../registry/parse-input';
import { decideFromSummaries } from './drift-job';
import { driftMetrics } from './drift-metrics';
import { decideInputSchema } from './run-schemas';
import { driftSettingsFromEnv } from './settings-from-env';
import { stepResult } from './step-result';

const logger = new Logger();
const metrics = driftMetrics();
const s3 = createS3Client();

/** The drift state machine's last step of a fanned-out run: merges the chunks' summaries and decides (see decideFromSummaries). */
export const handler = async (event: unknown): Promise<ReturnType<typeof stepResult>> => {
  const { plan } = parseInput(decideInputSchema, event, 'drift decide input');
  return stepResult(await decideFromSummaries({ s3, metrics, logger }, driftSettingsFromEnv(), plan));
};
