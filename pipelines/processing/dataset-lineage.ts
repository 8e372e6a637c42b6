import { z } from 'zod';

/** dataset.json: where a run's data came from and how it was split; the register step records its sha256. */
export const datasetLineageSchema = z.object({
  formatVersion: z.literal(1),
  inputUri: z.string(),
  sources: z.array(z.object({ uri: z.string(), bytes: z.number().int(), sha256: z.string() })),
  /** sha256 of the concatenated raw bytes of all sources, in key order. */
  sha256: z.string(),
  columns: z.array(z.string()),
  rowCount: z.number().int(),
  splitSeed: z.string(),
  splitRatios: z.object({ train: z.number(), validation: z.number(), holdout: z.number() }),
  splits: z.object({
    train: z.object({ rows: z.number().int(), uri: z.string() }),
    validation: z.object({ rows: z.number().int(), uri: z.string() }),
    holdout: z.object({ rows: z.number().int(), uri: z.string() }),
  }),
  baselineUri: z.string(),
});
export type DatasetLineage = z.infer<typeof datasetLineageSchema>;
