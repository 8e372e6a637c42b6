/**
 * The sorted-values objects of a formatVersion 2 baseline (contracts/baseline.ts): written beside baseline.json by the
 * processing job and BYOM registration, read and checked by the drift job.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Baseline, SortedValuesRef } from '../../contracts/baseline';
import { keyBesideBaseline, parseS3Uri, s3Uri } from '../../contracts/storage-layout';
import type { BaselineArtifacts } from './baseline';

/** A sorted-values object the drift job cannot use: missing, or not what baseline.json records. Names the object. */
export class BaselineObjectError extends Error {
  constructor(
    /** s3:// URI of the object. */
    readonly objectUri: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`baseline object ${objectUri} ${message}`, options);
    this.name = 'BaselineObjectError';
  }
}

const BYTES_PER_VALUE = 8;
/** Objects read at once by readSortedValues (up to 8 MB each, plus their decoded copy). */
const READS_IN_FLIGHT = 4;

/** The object's bytes (little-endian doubles, whatever the machine's order) and their SHA-256 (hex). */
export function encodeSortedValues(sorted: Float64Array): { body: Uint8Array; sha256: string } {
  const body = new Uint8Array(sorted.length * BYTES_PER_VALUE);
  const view = new DataView(body.buffer);
  for (let i = 0; i < sorted.length; i++) view.setFloat64(i * BYTES_PER_VALUE, sorted[i], true);
  return { body, sha256: createHash('sha256').update(body).digest('hex') };
}

/** The values of an object, after checking its size, its SHA-256 and that they ascend, against what baseline.json records. */
export function decodeSortedValues(body: Uint8Array, ref: SortedValuesRef, objectUri: string): Float64Array {
  if (body.byteLength !== ref.count * BYTES_PER_VALUE) {
    throw new BaselineObjectError(objectUri, `has ${body.byteLength} bytes; baseline.json records ${ref.count} values (${ref.count * BYTES_PER_VALUE} bytes)`);
  }
  const sha256 = createHash('sha256').update(body).digest('hex');
  if (sha256 !== ref.sha256) throw new BaselineObjectError(objectUri, `has SHA-256 ${sha256}; baseline.json records ${ref.sha256}`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const values = new Float64Array(ref.count);
  for (let i = 0; i < ref.count; i++) values[i] = view.getFloat64(i * BYTES_PER_VALUE, true);
  // The hash proves the bytes are the writer's; this proves the writer kept the format (ascending, no NaN), which KS relies on.
  if (Number.isNaN(values[0])) throw new BaselineObjectError(objectUri, 'holds NaN at index 0');
  for (let i = 1; i < values.length; i++) {
    if (!(values[i - 1] <= values[i])) throw new BaselineObjectError(objectUri, `is not ascending at index ${i} (${values[i - 1]}, then ${values[i]})`);
  }
  return values;
}

/** Writes one object; the processing job writes each run artifact once, BYOM registration overwrites its own. */
export type PutBaselineObject = (key: string, body: string | Uint8Array, contentType: string) => Promise<void>;

/**
 * Writes a baseline at `baselineJsonKey`: its sorted-values objects first, baseline.json last, so a baseline.json in
 * the bucket implies its objects are there too.
 */
export async function writeBaseline(put: PutBaselineObject, baselineJsonKey: string, artifacts: BaselineArtifacts): Promise<void> {
  for (const object of artifacts.objects) await put(keyBesideBaseline(baselineJsonKey, object.path), object.body, 'application/octet-stream');
  await put(baselineJsonKey, JSON.stringify(artifacts.document), 'application/json');
}

/**
 * The ascending KS values of the named numeric features of a baseline read from `baselineUri`: formatVersion 2 reads
 * and checks each feature's object beside it; formatVersion 1 holds them inline (its sample). Names the baseline does
 * not have, and categorical features, are left out.
 */
export async function readSortedValues(s3: S3Client, baselineUri: string, baseline: Baseline, names: readonly string[]): Promise<Map<string, Float64Array>> {
  const wanted = new Set(names);
  const values = new Map<string, Float64Array>();
  if (baseline.formatVersion === 1) {
    for (const feature of baseline.features) {
      if (feature.type === 'numeric' && wanted.has(feature.name)) values.set(feature.name, Float64Array.from(feature.sample));
    }
    return values;
  }
  const { bucket, key } = parseS3Uri(baselineUri);
  const numeric = baseline.features.flatMap((f) => (f.type === 'numeric' && wanted.has(f.name) ? [f] : []));
  let next = 0;
  const reader = async () => {
    for (let feature = numeric[next++]; feature; feature = numeric[next++]) {
      const objectKey = keyBesideBaseline(key, feature.sortedValues.path);
      const objectUri = s3Uri(bucket, objectKey);
      const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey })).then(
        (object) => object.Body!.transformToByteArray(),
        (err: unknown) => {
          if ((err as Error).name === 'NoSuchKey') throw new BaselineObjectError(objectUri, 'is missing; baseline.json refers to it', { cause: err });
          throw err;
        },
      );
      values.set(feature.name, decodeSortedValues(body, feature.sortedValues, objectUri));
    }
  };
  // A few in flight: the objects' latency overlaps, while the bytes in transit stay a few objects' worth.
  await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, numeric.length) }, reader));
  return values;
}
