import { Logger } from '@aws-lambda-powertools/logger';
import { parseInput } from '../registry/parse-input';
import { requiredEnv } from '../shared/env';
import { asReleaseInput, releaseInputSchema } from './schemas';
import { deploymentStepsFromEnv } from './steps-from-env';

const logger = new Logger();
const steps = deploymentStepsFromEnv();
const model = requiredEnv('MODEL_NAME');

/** Releases the deployment of an execution that ended without finishing (see DeploymentSteps.release). */
export const handler = async (event: unknown) => {
  const result = await steps.release(asReleaseInput(parseInput(releaseInputSchema, event, 'Release input'), model));
  logger.info('Release', { ...result });
  return result;
};
