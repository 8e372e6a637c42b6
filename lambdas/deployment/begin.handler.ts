import { Logger } from '@aws-lambda-powertools/logger';
import { parseInput } from '../registry/parse-input';
import { deploymentTargetSchema } from './schemas';
import { deploymentStepsFromEnv } from './steps-from-env';

const logger = new Logger();
const steps = deploymentStepsFromEnv();

/** DeploymentFlow "Begin" step (see DeploymentSteps.begin). */
export const handler = async (event: unknown) => {
  const result = await steps.begin(parseInput(deploymentTargetSchema, event, 'Begin input'));
  logger.info('Begin', { ...result });
  return result;
};
