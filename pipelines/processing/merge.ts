import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { parseS3Uri } from '../../contracts/storage-layout';
import { SPLIT_NAMES } from '../../contracts/training-pipeline-spec';
import { getObjectBytes } from '../common/s3';
import { openObject } from '../common/s3-stream';
import type { DatasetLineage } from './dataset-lineage';
import { abortingOnFailure, finishRun, openSplitUploads, outputLocation, requireUsableSplits, tableSpecOf, trainSampleOf, type ProcessingRequest } from './process';
import { datasetKeys, type DatasetSource } from './read-dataset';
import { shardSplitKey, shardSummaryKey, shardSummarySchema, shardTrainValuesKey, type ShardSummary } from './shard-layout';
import { addTotals, appendEncoded, emptyTotals } from './train-rows';

/** A shard's output the merge step cannot use: missing, malformed, or about other objects than the dataset's now. */
export class ShardMergeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ShardMergeError';
  }
}

async function readSummary(s3: S3Client, bucket: string, prefix: string, index: number, count: number): Promise<ShardSummary> {
  const key = shardSummaryKey(prefix, index);
  const body = await getObjectBytes(s3, bucket, key).catch((err: unknown) => {
    throw new ShardMergeError(`s3://${bucket}/${key} cannot be read (did shard ${index} of ${count} succeed?): ${(err as Error).message}`, { cause: err });
  });
  const parsed = shardSummarySchema.safeParse(JSON.parse(body.toString('utf8')));
  if (!parsed.success) {
    throw new ShardMergeError(`s3://${bucket}/${key}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  if (parsed.data.shard !== index || parsed.data.shards !== count) {
    throw new ShardMergeError(`s3://${bucket}/${key} is shard ${parsed.data.shard} of ${parsed.data.shards}, expected ${index} of ${count}`);
  }
  return parsed.data;
}

/**
 * The whole dataset's SHA-256 (its objects' bytes in key order, as the one-process job hashes them while reading),
 * checking each object is still the one its shard read: a dataset changed under a run is refused, not recorded.
 */
async function datasetSha256(s3: S3Client, sources: readonly DatasetSource[]): Promise<string> {
  const whole = createHash('sha256');
  for (const source of sources) {
    const { bucket, key } = parseS3Uri(source.uri);
    const own = createHash('sha256');
    for await (const chunk of await openObject(s3, bucket, key)) {
      own.update(chunk as Uint8Array);
      whole.update(chunk as Uint8Array);
    }
    const sha256 = own.digest('hex');
    if (sha256 !== source.sha256) throw new ShardMergeError(`${source.uri} changed while the run processed it (SHA-256 ${sha256}, its shard read ${source.sha256})`);
  }
  return whole.digest('hex');
}

/**
 * The merge step after the shards: checks the shards read the dataset's objects, every one once, in order; checks
 * the splits as the one-process job does (from the shards' class counts); writes each split as the header and the
 * shards' rows in shard order, and the baseline from the sample of the shards' train samples (train-rows.ts), which is the
 * one-process job's output to the byte. Holds that sample and an upload part; reads every object once more for the
 * lineage hash.
 */
export async function mergeShards(s3: S3Client, request: ProcessingRequest, count: number): Promise<DatasetLineage> {
  const tableSpec = tableSpecOf(request.config);
  const { bucket, prefix } = outputLocation(request.outputUri);
  const { bucket: inputBucket, keys } = await datasetKeys(s3, request.inputUri);
  const summaries: ShardSummary[] = [];
  for (let index = 0; index < count; index++) summaries.push(await readSummary(s3, bucket, prefix, index, count));
  const sources = summaries.flatMap((summary) => summary.sources);
  const read = sources.map((s) => s.uri).join('\n');
  const listed = keys.map((key) => `s3://${inputBucket}/${key}`).join('\n');
  if (read !== listed) throw new ShardMergeError(`the shards read other objects than ${request.inputUri} holds now (${sources.length} read, ${keys.length} listed)`);

  const classes = summaries[0]?.classCounts.train.length ?? 0;
  const totals = emptyTotals(classes);
  for (const summary of summaries) addTotals(totals, summary);
  requireUsableSplits(totals, sources, tableSpec, request.inputUri);

  const uploads = await openSplitUploads(s3, request.outputUri, tableSpec);
  return abortingOnFailure(Object.values(uploads), async () => {
    for (let index = 0; index < count; index++) {
      for (const split of SPLIT_NAMES) {
        for await (const chunk of await openObject(s3, bucket, shardSplitKey(prefix, index, split))) await uploads[split].write(chunk as Uint8Array);
      }
    }
    const train = trainSampleOf(request, totals.rows.train);
    for (let index = 0; index < count; index++) await appendEncoded(await openObject(s3, bucket, shardTrainValuesKey(prefix, index)), train);
    if (train.rowCount !== Math.min(totals.rows.train, train.capacity)) {
      throw new ShardMergeError(`the shards' train samples hold ${train.rowCount} rows, their summaries ${totals.rows.train} train rows (sample of at most ${train.capacity})`);
    }
    return finishRun(s3, request, { uploads, train, totals, sources, sha256: await datasetSha256(s3, sources) });
  });
}
