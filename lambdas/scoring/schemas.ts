import { z } from 'zod';
import { scoringRequestSchema } from '../../contracts/batch-scoring';

/** The plan step's input: the run's request and the execution's name (its chunk list is kept under it). */
export const planInputSchema = z.object({ request: scoringRequestSchema, execution: z.string().min(1) });

const planSchema = z.object({
  chunksBucket: z.string(),
  chunksKey: z.string(),
  chunks: z.number().int(),
  rows: z.number().int(),
  version: z.number().int().positive(),
});
const partSchema = z.object({ part: z.number().int(), uri: z.string(), rows: z.number().int(), firstRow: z.number().int() });

/** The finish step's input: the request, the plan and every part the Distributed Map's children wrote. */
export const finishInputSchema = z.object({ request: scoringRequestSchema, plan: planSchema, parts: z.array(partSchema), execution: z.string().min(1) });
