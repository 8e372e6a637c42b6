import { Logger } from '@aws-lambda-powertools/logger';
import { parseInput } from '../registry/parse-input';
import { batchScoringJobFromEnv } from './job-from-env';
import { planInputSchema } from './schemas';

const logger = new Logger();
const job = batchScoringJobFromEnv();

/** BatchScoring "Plan" step (see BatchScoringJob.plan). */
export const handler = async (event: unknown) => {
  const { request, execution } = parseInput(planInputSchema, event, 'Plan input');
  const plan = await job.plan(request, execution);
  logger.info('Plan', { ...plan });
  return plan;
};
