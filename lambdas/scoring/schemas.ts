import { z } from 'zod';
import { scoringRequestSchema } from '../../contracts/batch-scoring';

/** The plan step's input: the run's request and the execution's name (its chunk list is kept under it). */
export const planInputSchema = z.object({ request: scoringRequestSchema, execution: z.string().min(1) });

/** What the plan step returns: where the Distributed Map reads the chunks, and what the finish step checks. */
const planSchema = z.object({
  chunksBucket: z.string(),
  chunksKey: z.string(),
  chunks: z.number().int(),
  rows: z.number().int(),
  version: z.number().int().positive(),
});
/** What a chunk's worker returns: its part file and the rows in it. */
const partSchema = z.object({ part: z.number().int(), uri: z.string(), rows: z.number().int(), firstRow: z.number().int() });
export type ScoringPlan = z.infer<typeof planSchema>;
export type ScoredPart = z.infer<typeof partSchema>;

/** The finish step's input: the request, the plan and every part the Distributed Map's children wrote. */
export const finishInputSchema = z.object({ request: scoringRequestSchema, plan: planSchema, parts: z.array(partSchema), execution: z.string().min(1) });
