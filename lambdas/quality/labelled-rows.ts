import { createHash } from 'node:crypto';
import { HeadObjectCommand, NotFound, type S3Client } from '@aws-sdk/client-s3';
import { labelledRowsKey, labelledRowsLineageKey } from '../../contracts/ground-truth';
import { s3Uri } from '../../contracts/storage-layout';
import { formatCsv } from '../../pipelines/common/csv';
import { createRunArtifact, RunArtifactExistsError } from '../../pipelines/processing/run-artifact';
import type { LabelledRow } from './joined-predictions';

/** What adding the labelled rows did: objects written now, and label objects whose rows were added by an earlier run. */
export interface LabelledRowsResult {
  written: { csvUri: string; rows: number }[];
  alreadyAdded: number;
}

export interface LabelledRowsTarget {
  bucket: string;
  model: string;
  datasetPrefix: string;
  features: readonly string[];
  labelColumn: string;
  /** When and by which run (for the lineage record). */
  at: Date;
}

/**
 * Adds joined production rows to the training data: one CSV per label object under the dataset prefix the processing
 * job reads, in the raw dataset's layout (features in model order, the label column last), and beside it a lineage
 * record naming the label object, each row's prediction id and the version that predicted it, and the CSV's sha256.
 * Written once: the next runs, whose windows overlap, find it and add nothing, so a row is never added twice (the
 * conditional create, If-None-Match, settles two runs at once; the existence check first is what S3 stand-ins without
 * conditional writes honour).
 */
export async function addLabelledRows(s3: S3Client, target: LabelledRowsTarget, rows: readonly LabelledRow[]): Promise<LabelledRowsResult> {
  const byObject = new Map<string, LabelledRow[]>();
  for (const row of rows) {
    const list = byObject.get(row.labelObjectKey);
    if (list) list.push(row);
    else byObject.set(row.labelObjectKey, [row]);
  }
  const result: LabelledRowsResult = { written: [], alreadyAdded: 0 };
  for (const [labelObjectKey, objectRows] of byObject) {
    const csvKey = labelledRowsKey(target.datasetPrefix, target.model, labelObjectKey);
    if (await exists(s3, target.bucket, csvKey)) {
      result.alreadyAdded++;
      continue;
    }
    const csv = formatCsv([...target.features, target.labelColumn], objectRows.map((row) => [...row.features, row.label]));
    const lineage = {
      source: 'production-labels',
      model: target.model,
      labelsUri: s3Uri(target.bucket, labelObjectKey),
      csvUri: s3Uri(target.bucket, csvKey),
      csvSha256: createHash('sha256').update(csv).digest('hex'),
      rows: objectRows.length,
      addedAt: target.at.toISOString(),
      predictions: objectRows.map(({ predictionId, modelVersion }) => ({ predictionId, modelVersion })),
    };
    // Lineage first: a CSV the processing job reads always has its record. A run that stopped between the two writes
    // finds the record and still writes the CSV.
    await createOnce(s3, target.bucket, labelledRowsLineageKey(csvKey), JSON.stringify(lineage, null, 2), 'application/json');
    if (await createOnce(s3, target.bucket, csvKey, csv, 'text/csv')) result.written.push({ csvUri: lineage.csvUri, rows: objectRows.length });
    else result.alreadyAdded++;
  }
  return result;
}

/** Creates the object unless its key exists; whether it did. */
async function createOnce(s3: S3Client, bucket: string, key: string, body: string, contentType: string): Promise<boolean> {
  try {
    await createRunArtifact(s3, bucket, key, body, contentType);
    return true;
  } catch (err) {
    if (err instanceof RunArtifactExistsError) return false;
    throw err;
  }
}

async function exists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (err) {
    if (err instanceof NotFound) return false;
    throw err;
  }
}
