import { z } from 'zod';
import { createS3Client } from '../common/s3';
import { oneLine, teamConfigFromEnv } from '../common/job-config';
import { processDataset } from './process';

/**
 * Entry of the processing container (AWS Batch) and of the local twin's processing step.
 *
 *   INPUT_URI         s3://bucket/prefix/ (every .csv/.parquet under it, by key) or s3://bucket/file.csv
 *   OUTPUT_URI        s3://bucket/runs/<execution>/processed/
 *   TEAM_CONFIG       the team config as JSON (or TEAM_CONFIG_FILE, a path to it)
 *   SPLIT_SEED        optional seed of the train/validation/holdout assignment (default "0")
 *   AWS_ENDPOINT_URL_S3, AWS_S3_FORCE_PATH_STYLE  optional, for a local S3
 *
 * Prints the dataset lineage (dataset.json) on stdout; on bad data or configuration exits 1 with one line on stderr.
 */
const envSchema = z.object({
  INPUT_URI: z.string().startsWith('s3://', 'INPUT_URI must be an s3:// URI'),
  OUTPUT_URI: z.string().startsWith('s3://', 'OUTPUT_URI must be an s3:// URI'),
  SPLIT_SEED: z.string().default('0'),
});

async function main(): Promise<void> {
  const env = envSchema.safeParse(process.env);
  if (!env.success) throw new Error(env.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const lineage = await processDataset(createS3Client(), {
    inputUri: env.data.INPUT_URI,
    outputUri: env.data.OUTPUT_URI,
    config: teamConfigFromEnv(),
    splitSeed: env.data.SPLIT_SEED,
  });
  console.log(JSON.stringify(lineage));
}

main().catch((err: unknown) => {
  console.error(oneLine(err));
  process.exitCode = 1;
});
