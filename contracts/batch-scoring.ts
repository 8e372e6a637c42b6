import { z } from 'zod';

/**
 * A batch scoring run: what starts one (the execution input of the BatchScoring state machine), what each chunk's
 * worker is given, and the manifest the run leaves beside its output.
 * Producers: whoever starts a run (StartExecution of BatchScoring.stateMachine with a ScoringRequest); the plan step
 * writes the chunks (lambdas/scoring/batch-scoring-job.ts); the finish step writes the manifest (scoring-manifest.ts).
 * Consumers: the scoring functions (lambdas/scoring/*.handler.ts) and whoever reads the output.
 */

const s3UriSchema = z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+$/, 'expected s3://bucket/key');

export const scoringRequestSchema = z.object({
  /**
   * A CSV object with a header row, or a Parquet file (a key ending in .parquet), holding at least the model's
   * features (by name).
   */
  input: s3UriSchema,
  /** Where the output parts and the manifest go: `<output>/part-00000.csv`, ..., `<output>/manifest.json`. */
  output: s3UriSchema,
  /** The version to score with. @default the live version */
  version: z.number().int().positive().optional(),
  /** The input column that identifies a row in the output. @default the row's 0-based index among the data rows */
  rowIdColumn: z.string().min(1).optional(),
  /** Rows per chunk, each scored by one worker. @default 50,000 */
  rowsPerChunk: z.number().int().min(100).max(2_000_000).optional(),
});
export type ScoringRequest = z.infer<typeof scoringRequestSchema>;

/** Most schedules a team may have (one EventBridge rule each). */
export const MAX_SCORING_SCHEDULES = 10;

/**
 * A scoring run started on a schedule (BatchScoringProps.schedules, the team config's `scoring.schedules`): the request
 * of every run, and when. Each run writes under its own `<output>/<scheduled time>/` (the event's time, e.g.
 * `2026-12-03T02:00:00Z`), so one run never overwrites another's parts or manifest.
 */
export const scoringScheduleSchema = scoringRequestSchema
  .extend({
    /** EventBridge schedule expression, e.g. "cron(0 2 * * ? *)" or "rate(1 day)". */
    expression: z.string().regex(/^(rate|cron)\(.+\)$/, 'expected rate(...) or cron(...)'),
  })
  .strict();
export type ScoringSchedule = z.infer<typeof scoringScheduleSchema>;

/** Where the run a schedule starts at `time` writes its output. */
export const scheduledOutput = (output: string, time: string) => `${output.replace(/\/$/, '')}/${time}`;

/** What every chunk carries: its input, where its part goes, its rows and the version that scores them. */
const chunkFields = {
  input: s3UriSchema,
  output: s3UriSchema,
  part: z.number().int().min(0),
  /** The chunk's first row: its 0-based index among the input's data rows. */
  firstRow: z.number().int().min(0),
  rows: z.number().int().min(0),
  version: z.number().int().positive(),
  rowIdColumn: z.string().optional(),
};

/**
 * One chunk, read by its worker alone: of a CSV, bytes [start, end) (whole rows) and the header's bytes [0, headerEnd);
 * of a Parquet file, rows [firstRow, firstRow + rows), whole row groups.
 */
export const scoringChunkSchema = z.discriminatedUnion('format', [
  z.object({
    ...chunkFields,
    format: z.literal('csv'),
    headerEnd: z.number().int().min(0),
    start: z.number().int().min(0),
    end: z.number().int().min(0),
  }),
  z.object({ ...chunkFields, format: z.literal('parquet') }),
]);
export type ScoringChunk = z.infer<typeof scoringChunkSchema>;

/** `<output>/manifest.json`: written last, so its presence means every part is complete. */
export interface ScoringManifest {
  readonly model: string;
  readonly version: number;
  readonly input: string;
  readonly rows: number;
  readonly parts: ReadonlyArray<{ readonly uri: string; readonly rows: number; readonly firstRow: number }>;
  readonly execution: string;
  readonly finishedAt: string;
}

export const scoringPartKey = (outputKey: string, part: number) => `${outputKey.replace(/\/$/, '')}/part-${String(part).padStart(5, '0')}.csv`;
export const scoringManifestKey = (outputKey: string) => `${outputKey.replace(/\/$/, '')}/manifest.json`;
/** The chunk list the plan step writes for the Distributed Map to read (in the artifact store). */
export const scoringChunksKey = (model: string, execution: string) => `scoring/${model}/${execution}/chunks.json`;
