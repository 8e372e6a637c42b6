import { Logger } from '@aws-lambda-powertools/logger';
import { createS3Client } from '../../pipelines/common/s3';
import { openObjectByUri } from '../../pipelines/common/s3-stream';
import { parseInput } from '../registry/parse-input';
import { registryFromEnv } from '../registry/registry-from-env';
import { requiredEnv } from '../shared/env';
import { checkHoldoutParity } from './holdout-parity';
import { holdoutCheckInputSchema } from './schemas';
import { inferenceFunctionFromEnv } from './steps-from-env';

const logger = new Logger();
const s3 = createS3Client();
const tolerance = Number(requiredEnv('HOLDOUT_TOLERANCE'));
if (!(tolerance >= 0)) throw new Error(`Environment variable HOLDOUT_TOLERANCE must be a number >= 0, got "${process.env.HOLDOUT_TOLERANCE}"`);
const deps = {
  registry: registryFromEnv(),
  inference: inferenceFunctionFromEnv(),
  openObject: (uri: string) => openObjectByUri(s3, uri),
  tolerance,
};

/** DeploymentFlow "Holdout" step: fails with HoldoutParityError unless the new version reproduces the evaluation. */
export const handler = async (event: unknown) => {
  const result = await checkHoldoutParity(deps, parseInput(holdoutCheckInputSchema, event, 'Holdout input'));
  logger.info('holdout parity', { ...result });
  return result;
};
