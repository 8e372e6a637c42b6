import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type ScoringManifest, scoringManifestKey, type ScoringRequest } from '../../contracts/batch-scoring';
import { parseS3Uri } from '../../contracts/storage-layout';
import type { ScoredPart, ScoringPlan } from './schemas';
import { ScoringInputError } from './score-rows';

/**
 * The last step of a batch scoring run: checks that the parts cover every planned row once, then writes
 * `<output>/manifest.json`, so its presence means the output is complete. (A module of its own: the Finish function
 * loads no model, so it bundles no onnxruntime.)
 */
export async function writeScoringManifest(
  deps: { s3: S3Client; model: string },
  run: { request: ScoringRequest; plan: ScoringPlan; parts: readonly ScoredPart[]; execution: string },
): Promise<ScoringManifest> {
  const sorted = [...run.parts].sort((a, b) => a.part - b.part);
  const rows = sorted.reduce((sum, part) => sum + part.rows, 0);
  if (sorted.length !== run.plan.chunks || rows !== run.plan.rows) {
    throw new ScoringInputError(`the run scored ${rows} rows in ${sorted.length} parts; the plan had ${run.plan.rows} rows in ${run.plan.chunks} chunks`);
  }
  const manifest: ScoringManifest = {
    model: deps.model,
    version: run.plan.version,
    input: run.request.input,
    rows,
    parts: sorted.map(({ uri, rows: partRows, firstRow }) => ({ uri, rows: partRows, firstRow })),
    execution: run.execution,
    finishedAt: new Date().toISOString(),
  };
  const output = parseS3Uri(run.request.output);
  await deps.s3.send(
    new PutObjectCommand({ Bucket: output.bucket, Key: scoringManifestKey(output.key), Body: JSON.stringify(manifest, null, 2), ContentType: 'application/json' }),
  );
  return manifest;
}
