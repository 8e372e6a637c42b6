import { z } from 'zod';
import { createS3Client } from '../common/s3';
import { oneLine, teamConfigFromEnv } from '../common/job-config';
import { mergeShards } from './merge';
import { processDataset, type ProcessingRequest } from './process';
import { processShard } from './shard';

/**
 * Entry of the processing container (AWS Batch) and of the local twin's processing step.
 *
 *   INPUT_URI         s3://bucket/prefix/ (every .csv/.parquet under it, by key) or s3://bucket/file.csv
 *   OUTPUT_URI        s3://bucket/runs/<execution>/processed/
 *   TEAM_CONFIG       the team config as JSON (or TEAM_CONFIG_FILE, a path to it)
 *   SPLIT_SEED        optional seed of the train/validation/holdout assignment (default "0")
 *   PROCESSING_STEP   optional: unset, one job does everything; `shard` (a child of the array job, with
 *                     AWS_BATCH_JOB_ARRAY_INDEX set by Batch) or `merge`, both with PROCESSING_SHARDS, the shard count
 *   AWS_ENDPOINT_URL_S3, AWS_S3_FORCE_PATH_STYLE  optional, for a local S3
 *
 * Prints the dataset lineage (dataset.json; a shard prints its summary) on stdout; on bad data or configuration
 * exits 1 with one line on stderr.
 */
const shardCount = z.coerce.number().int().min(2, 'PROCESSING_SHARDS must be 2 or more (one job needs no shards)').max(10_000);
// Batch sets it in each child of an array job; a shard step anywhere else has no group of objects to read.
const arrayIndex = z
  .string({ error: 'AWS_BATCH_JOB_ARRAY_INDEX is required for PROCESSING_STEP=shard (Batch sets it in each child of an array job)' })
  .regex(/^\d+$/, 'AWS_BATCH_JOB_ARRAY_INDEX must be a whole number')
  .transform(Number);
const envSchema = z.discriminatedUnion('PROCESSING_STEP', [
  z.object({ PROCESSING_STEP: z.undefined() }),
  z.object({ PROCESSING_STEP: z.literal('shard'), PROCESSING_SHARDS: shardCount, AWS_BATCH_JOB_ARRAY_INDEX: arrayIndex }),
  z.object({ PROCESSING_STEP: z.literal('merge'), PROCESSING_SHARDS: shardCount }),
]);
const requestSchema = z.object({
  INPUT_URI: z.string().startsWith('s3://', 'INPUT_URI must be an s3:// URI'),
  OUTPUT_URI: z.string().startsWith('s3://', 'OUTPUT_URI must be an s3:// URI'),
  SPLIT_SEED: z.string().default('0'),
});

const problems = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || 'PROCESSING_STEP'}: ${i.message}`).join('; ');

async function main(): Promise<void> {
  const env = requestSchema.safeParse(process.env);
  if (!env.success) throw new Error(problems(env.error));
  const step = envSchema.safeParse({ ...process.env, PROCESSING_STEP: process.env.PROCESSING_STEP || undefined });
  if (!step.success) throw new Error(problems(step.error));
  const s3 = createS3Client();
  const request: ProcessingRequest = {
    inputUri: env.data.INPUT_URI,
    outputUri: env.data.OUTPUT_URI,
    config: teamConfigFromEnv(),
    splitSeed: env.data.SPLIT_SEED,
  };
  const stepEnv = step.data;
  const output =
    stepEnv.PROCESSING_STEP === 'shard'
      ? await processShard(s3, request, { index: stepEnv.AWS_BATCH_JOB_ARRAY_INDEX, count: stepEnv.PROCESSING_SHARDS })
      : stepEnv.PROCESSING_STEP === 'merge'
        ? await mergeShards(s3, request, stepEnv.PROCESSING_SHARDS)
        : await processDataset(s3, request);
  console.log(JSON.stringify(output));
}

main().catch((err: unknown) => {
  console.error(oneLine(err));
  process.exitCode = 1;
});
