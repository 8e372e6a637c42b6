import { Logger } from '@aws-lambda-powertools/logger';
import { parseInput } from '../registry/parse-input';
import { deploymentTargetSchema } from './schemas';
import { deploymentStepsFromEnv } from './steps-from-env';

const logger = new Logger();
const steps = deploymentStepsFromEnv();

/** DeploymentFlow "Finalize" step (see DeploymentSteps.finalize). */
export const handler = async (event: unknown) => {
  const result = await steps.finalize(parseInput(deploymentTargetSchema, event, 'Finalize input'));
  logger.info('Finalize', { ...result });
  return result;
};
