import { Logger } from '@aws-lambda-powertools/logger';
import { parseInput } from './parse-input';
import { registryFromEnv } from './registry-from-env';
import { applySageMakerDecision, sageMakerStateChangeSchema } from './sagemaker-sync';

const logger = new Logger();
const registry = registryFromEnv();

/** "SageMaker Model Package State Change" -> approve/reject in our registry. */
export const handler = async (event: unknown) => {
  const result = await applySageMakerDecision(registry, parseInput(sageMakerStateChangeSchema, event, 'SageMaker event'));
  if (result.outcome === 'refused') logger.warn('SageMaker decision refused by the registry lifecycle', { ...result });
  else logger.info('SageMaker decision applied', { ...result });
  return result;
};
