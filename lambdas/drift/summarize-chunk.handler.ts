import { Logger } from '@aws-lambda-powertools/logger';
import { createS3Client } from '../../pipelines/common/s3';
import { parseInput } from '../registry/parse-input';
import { summarizeChunkToS3 } from './drift-job';
import { summarizeInputSchema } from './run-schemas';
import { driftSettingsFromEnv } from './settings-from-env';

const logger = new Logger();
const s3 = createS3Client();

/** The drift state machine's Distributed Map worker, one per chunk of the window (see summarizeChunkToS3). */
export const handler = async (event: unknown) => {
  const { chunk } = parseInput(summarizeInputSchema, event, 'drift chunk input');
  const written = await summarizeChunkToS3({ s3 }, driftSettingsFromEnv(), chunk);
  logger.info('Chunk summarized', { ...written, objects: chunk.keys.length });
  return written;
};
