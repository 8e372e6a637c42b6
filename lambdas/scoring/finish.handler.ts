import { Logger } from '@aws-lambda-powertools/logger';
import { scoringManifestKey } from '../../contracts/batch-scoring';
import { parseS3Uri, s3Uri } from '../../contracts/storage-layout';
import { createS3Client } from '../../pipelines/common/s3';
import { parseInput } from '../registry/parse-input';
import { requiredEnv } from '../shared/env';
import { finishInputSchema } from './schemas';
import { writeScoringManifest } from './scoring-manifest';

const logger = new Logger();
const deps = { s3: createS3Client(), model: requiredEnv('MODEL_NAME') };

/** BatchScoring "Finish" step (see writeScoringManifest). */
export const handler = async (event: unknown) => {
  const run = parseInput(finishInputSchema, event, 'Finish input');
  const manifest = await writeScoringManifest(deps, run);
  const output = parseS3Uri(run.request.output);
  logger.info('Finish', { rows: manifest.rows, parts: manifest.parts.length, version: manifest.version });
  return { manifest: s3Uri(output.bucket, scoringManifestKey(output.key)), rows: manifest.rows, version: manifest.version };
};
