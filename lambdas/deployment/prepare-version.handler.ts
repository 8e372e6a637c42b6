import { Logger } from '@aws-lambda-powertools/logger';
import { parseInput } from '../registry/parse-input';
import { deploymentTargetSchema } from './schemas';
import { deploymentStepsFromEnv } from './steps-from-env';

const logger = new Logger();
const steps = deploymentStepsFromEnv();

/** DeploymentFlow "Prepare" step (see DeploymentSteps.prepareVersion). */
export const handler = async (event: unknown) => {
  const result = await steps.prepareVersion(parseInput(deploymentTargetSchema, event, 'Prepare input'));
  logger.info('Prepare', { ...result });
  return result;
};
