import { Logger } from '@aws-lambda-powertools/logger';
import { parseInput } from '../registry/parse-input';
import { watchCanaryInputSchema } from './schemas';
import { deploymentStepsFromEnv } from './steps-from-env';

const logger = new Logger();
const steps = deploymentStepsFromEnv();

/** DeploymentFlow "WatchCanary" step (see DeploymentSteps.watchCanary). */
export const handler = async (event: unknown) => {
  const result = await steps.watchCanary(parseInput(watchCanaryInputSchema, event, 'WatchCanary input'));
  logger.info('WatchCanary', { ...result });
  return result;
};
