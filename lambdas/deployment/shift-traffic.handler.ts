import { Logger } from '@aws-lambda-powertools/logger';
import { parseInput } from '../registry/parse-input';
import { shiftTrafficInputSchema } from './schemas';
import { deploymentStepsFromEnv } from './steps-from-env';

const logger = new Logger();
const steps = deploymentStepsFromEnv();

/** DeploymentFlow "ShiftTraffic" step (see DeploymentSteps.shiftTraffic). */
export const handler = async (event: unknown) => {
  const result = await steps.shiftTraffic(parseInput(shiftTrafficInputSchema, event, 'ShiftTraffic input'));
  logger.info('ShiftTraffic', { ...result });
  return result;
};
