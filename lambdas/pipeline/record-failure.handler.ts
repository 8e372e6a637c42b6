import { Logger } from '@aws-lambda-powertools/logger';
import { parseInput } from '../registry/parse-input';
import { pipelineFailureEventSchema } from './pipeline-events';
import { registryFromEnv } from '../registry/registry-from-env';
import { failureReason } from './failure-reason';

const logger = new Logger();
const registry = registryFromEnv();
/** Causes can carry whole stack traces; keep the record well inside DynamoDB's item size. */
const MAX_CAUSE_CHARS = 8000;

/** TrainingPipeline Catch: records the failed run and its cause in the registry. */
export const handler = async (event: unknown) => {
  const { executionName, model, error } = parseInput(pipelineFailureEventSchema, event, 'RecordFailure input');
  const reason = failureReason(error.Error, error.Cause);
  const run = await registry.recordRunFailure({ model, executionName, error: error.Error, reason, cause: error.Cause.slice(0, MAX_CAUSE_CHARS) });
  logger.info('recorded failed run', { model, executionName, error: error.Error, reason });
  return { model: run.model, executionName: run.executionName, status: run.status };
};
