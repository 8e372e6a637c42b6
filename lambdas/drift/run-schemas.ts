import { z } from 'zod';
import { driftChunkSchema } from '../../contracts/drift-summary';

/** The job step's input: the execution's name, which keys the run's chunk list and summaries. */
export const jobInputSchema = z.object({ execution: z.string().min(1) });

/**
 * What the job step hands the rest of a fanned-out run: the chunks' shared fields (the version, its baseline, the
 * window, the execution), how many chunks there are and where their list is (the Distributed Map's item reader).
 */
const planSchema = driftChunkSchema.omit({ chunk: true, keys: true }).extend({
  chunks: z.number().int().min(0),
  chunksKey: z.string().min(1),
  objectCount: z.number().int().min(0),
});
export type DriftPlan = z.infer<typeof planSchema>;

/** The decide step's input: the plan of the run whose chunk summaries it merges. */
export const decideInputSchema = z.object({ plan: planSchema });

/** The Distributed Map hands each worker one item of the plan's chunk list. */
export const summarizeInputSchema = z.object({ chunk: driftChunkSchema });
