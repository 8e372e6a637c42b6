import { Logger } from '@aws-lambda-powertools/logger';
import { createS3Client } from '../../pipelines/common/s3';
import { parseInput } from '../registry/parse-input';
import { decideFromSummaries, type DriftJobResult } from './drift-job';
import { driftMetrics } from './drift-metrics';
import { decideInputSchema } from './run-schemas';
import { driftSettingsFromEnv } from './settings-from-env';

const logger = new Logger();
const metrics = driftMetrics();
const s3 = createS3Client();

/** The drift state machine's last step of a fanned-out run: merges the chunks' summaries and decides (see decideFromSummaries). */
export const handler = async (event: unknown): Promise<DriftJobResult> => {
  const { plan } = parseInput(decideInputSchema, event, 'drift decide input');
  return decideFromSummaries({ s3, metrics, logger }, driftSettingsFromEnv(), plan);
};
