import { z } from 'zod';
import { SPLIT_NAMES, type SplitName } from '../../contracts/training-pipeline-spec';

/**
 * What a shard of the processing job leaves for the merge step, under `<OUTPUT_URI>shards/<index>/`: its rows of
 * each split (CSV lines without the header), its sample of train rows (train.f64: features, label and sample key per
 * row, little-endian doubles; train-rows.ts) and summary.json. Only the merge step reads them; the run's splits, baseline.json and
 * dataset.json are the merge's.
 */

const shardPrefix = (outputPrefix: string, index: number) => `${outputPrefix}shards/${index}/`;
export const shardSplitKey = (outputPrefix: string, index: number, split: SplitName) => `${shardPrefix(outputPrefix, index)}${split}.csv`;
export const shardTrainValuesKey = (outputPrefix: string, index: number) => `${shardPrefix(outputPrefix, index)}train.f64`;
export const shardSummaryKey = (outputPrefix: string, index: number) => `${shardPrefix(outputPrefix, index)}summary.json`;

const perSplit = <T extends z.ZodType>(value: T) => z.object(Object.fromEntries(SPLIT_NAMES.map((split) => [split, value])) as Record<SplitName, T>);

/** summary.json of a shard: what it read and how many rows (of each class) went to each split. */
export const shardSummarySchema = z.object({
  formatVersion: z.literal(1),
  shard: z.number().int().nonnegative(),
  shards: z.number().int().positive(),
  /** The dataset objects the shard read, in key order, with their size and SHA-256. */
  sources: z.array(z.object({ uri: z.string(), bytes: z.number().int().nonnegative(), sha256: z.string() })),
  rows: perSplit(z.number().int().nonnegative()),
  classCounts: perSplit(z.array(z.number().int().nonnegative())),
});
export type ShardSummary = z.infer<typeof shardSummarySchema>;

/**
 * The keys of shard `index` of `count`: consecutive groups of the sorted keys, sizes differing by one at most. A shard
 * may get none (more shards than objects). Concatenated in shard order they are the keys in order, which is what
 * makes the merged splits the one-process splits.
 */
export function shardKeys(keys: readonly string[], index: number, count: number): string[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`shard count must be a positive integer, got ${count}`);
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`shard index must be 0..${count - 1}, got ${index}`);
  return keys.slice(Math.floor((index * keys.length) / count), Math.floor(((index + 1) * keys.length) / count));
}
