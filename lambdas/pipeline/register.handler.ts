import { Logger } from '@aws-lambda-powertools/logger';
import { parseInput } from '../registry/parse-input';
import { pipelineRegisterEventSchema } from './pipeline-events';
import { registryFromEnv } from '../registry/registry-from-env';

const logger = new Logger();
const registry = registryFromEnv();

/** TrainingPipeline "Register": records the evaluated model as a new version, approving it when the gate says so. */
export const handler = async (event: unknown) => {
  const { executionName, approve, requestedBy, ...lineage } = parseInput(pipelineRegisterEventSchema, event, 'Register input');
  // The pipeline registers; a person who requested the run through the approval API is its registrant for separation
  // of duties (they may not approve it).
  const { version, created } = await registry.register({ ...lineage, executionName, clientToken: executionName }, `pipeline:${executionName}`, requestedBy);
  // A retried Register finds the version already registered and, if it was auto-approved, already approved.
  const status =
    approve && version.status === 'pending_approval'
      ? (await registry.approve(version.model, version.version, { actor: 'pipeline:auto-approve', reason: 'passed the evaluation gate' })).to
      : version.status;
  logger.info('registered', { model: version.model, version: version.version, status, created });
  return { model: version.model, version: version.version, status, created };
};
