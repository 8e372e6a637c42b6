import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { groundTruthLabelSchema, labelsPrefix } from '../../contracts/ground-truth';
import { formatIssues } from '../../contracts/validation-issues';
import { openObject } from '../../pipelines/common/s3-stream';
import { textLines } from '../drift/capture-window';

/** One label as read, with the object it came from (its lineage, and the unit the labelled rows are written in). */
export interface ReadLabel {
  predictionId: string;
  label: string | number;
  objectKey: string;
}

/** What a scan of the label objects read. */
export interface LabelScan {
  /** The label objects read, in key order. */
  objectKeys: string[];
  /** Labels by prediction id; a later label for the same id (a correction) replaces an earlier one. */
  labels: Map<string, ReadLabel>;
  /** Lines that were not a label, counted; the first few described ("<key> line 3: label: ..."). */
  invalidLines: number;
  invalidExamples: string[];
}

const MAX_INVALID_EXAMPLES = 5;

/**
 * Reads the label objects (`.jsonl` under labels/<model>/, contracts/ground-truth.ts) written from `since` on, in key
 * order (feedback objects are named by their time, so a later correction wins). Other objects are skipped.
 */
export async function scanLabelObjects(s3: S3Client, bucket: string, model: string, since: Date): Promise<LabelScan> {
  const scan: LabelScan = { objectKeys: [], labels: new Map(), invalidLines: 0, invalidExamples: [] };
  const keys = await labelObjectKeys(s3, bucket, labelsPrefix(model), since);
  for (const key of keys) {
    let lineNumber = 0;
    for await (const line of textLines(await openObject(s3, bucket, key))) {
      lineNumber++;
      if (line.trim() === '') continue;
      const problem = addLine(scan, line, key);
      if (problem !== undefined) {
        scan.invalidLines++;
        if (scan.invalidExamples.length < MAX_INVALID_EXAMPLES) scan.invalidExamples.push(`${key} line ${lineNumber}: ${problem}`);
      }
    }
    scan.objectKeys.push(key);
  }
  return scan;
}

/** Adds one JSON line's label; returns what is wrong with it, if anything. */
function addLine(scan: LabelScan, line: string, objectKey: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  const parsed = groundTruthLabelSchema.safeParse(json);
  if (!parsed.success) return formatIssues(parsed.error).join('; ');
  scan.labels.set(parsed.data.predictionId, { ...parsed.data, objectKey });
  return undefined;
}

async function labelObjectKeys(s3: S3Client, bucket: string, prefix: string, since: Date): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      if (object.Key?.endsWith('.jsonl') && (object.LastModified?.getTime() ?? 0) >= since.getTime()) keys.push(object.Key);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
