import { Logger } from '@aws-lambda-powertools/logger';
import { parseInput } from '../registry/parse-input';
import { rollbackInputSchema } from './schemas';
import { deploymentStepsFromEnv } from './steps-from-env';

const logger = new Logger();
const steps = deploymentStepsFromEnv();

/** DeploymentFlow "Rollback" step (see DeploymentSteps.rollback). */
export const handler = async (event: unknown) => {
  const result = await steps.rollback(parseInput(rollbackInputSchema, event, 'Rollback input'));
  logger.info('Rollback', { ...result });
  return result;
};
