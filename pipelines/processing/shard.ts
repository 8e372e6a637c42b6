import type { S3Client } from '@aws-sdk/client-s3';
import { SPLIT_NAMES, type SplitName } from '../../contracts/training-pipeline-spec';
import { outputLocation, tableSpecOf, abortingOnFailure, trainSampleOf, type ProcessingRequest } from './process';
import { datasetKeys, DEFAULT_CHUNK_ROWS } from './read-dataset';
import { createRunArtifact } from './run-artifact';
import { RunArtifactUpload } from './run-artifact-upload';
import { scanObjects } from './scan';
import { shardKeys, shardSplitKey, shardSummaryKey, shardTrainValuesKey, type ShardSummary } from './shard-layout';

/**
 * One shard of the processing job (a child of the Batch array job, AWS_BATCH_JOB_ARRAY_INDEX): reads its group of
 * the dataset's objects a chunk at a time, validates and splits every row as the one-process job does, and leaves
 * its rows, its sample of train rows and a summary for the merge step (shard-layout.ts). Its memory is a chunk, an
 * upload part per output and the sample (at most `baselineSampleRows` rows), whatever its objects' size. A bad row
 * fails the shard, and with it the array job, before any of the run's own artifacts exist.
 */
export async function processShard(s3: S3Client, request: ProcessingRequest, shard: { index: number; count: number }): Promise<ShardSummary> {
  const tableSpec = tableSpecOf(request.config);
  const { bucket: inputBucket, keys } = await datasetKeys(s3, request.inputUri);
  const mine = shardKeys(keys, shard.index, shard.count);
  const { bucket, prefix } = outputLocation(request.outputUri);
  const splits = Object.fromEntries(
    SPLIT_NAMES.map((split) => [split, new RunArtifactUpload(s3, bucket, shardSplitKey(prefix, shard.index, split), 'text/csv')]),
  ) as Record<SplitName, RunArtifactUpload>;
  const trainValues = new RunArtifactUpload(s3, bucket, shardTrainValuesKey(prefix, shard.index), 'application/octet-stream');
  return abortingOnFailure([...Object.values(splits), trainValues], async () => {
    const sample = trainSampleOf(request);
    const scan = await scanObjects(
      s3,
      inputBucket,
      mine,
      { spec: tableSpec, splitSeed: request.splitSeed, chunkRows: request.chunkRows ?? DEFAULT_CHUNK_ROWS },
      { splits, train: (rows, keys) => sample.append(rows, keys) },
    );
    for (const part of sample.encode()) await trainValues.write(part);
    for (const upload of [...Object.values(splits), trainValues]) await upload.complete();
    const summary: ShardSummary = {
      formatVersion: 1,
      shard: shard.index,
      shards: shard.count,
      sources: scan.sources,
      rows: scan.rows,
      classCounts: scan.classCounts,
    };
    await createRunArtifact(s3, bucket, shardSummaryKey(prefix, shard.index), JSON.stringify(summary), 'application/json');
    return summary;
  });
}
