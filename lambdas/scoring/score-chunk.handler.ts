import { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { scoringChunkSchema } from '../../contracts/batch-scoring';
import { parseInput } from '../registry/parse-input';
import { batchScoringJobFromEnv } from './job-from-env';

const logger = new Logger();
const job = batchScoringJobFromEnv();
/** The Distributed Map hands each child one item of the plan's chunk list. */
const inputSchema = z.object({ chunk: scoringChunkSchema });

/** BatchScoring "ScoreChunk" step, one Distributed Map child per chunk (see BatchScoringJob.scoreChunk). */
export const handler = async (event: unknown) => {
  const { chunk } = parseInput(inputSchema, event, 'ScoreChunk input');
  const part = await job.scoreChunk(chunk);
  logger.info('ScoreChunk', { ...part });
  return part;
};
