import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { formatIssues } from '../../lib/team-config';
import { parseS3Uri } from '../shared/storage-layout';
import { unpackModelArchive } from '../../pipelines/common/model-archive';
import { getObjectByUri } from '../../pipelines/common/s3';
import { decide, type Champion, type EvaluationConfig } from '../../pipelines/evaluation/gate';
import type { Metrics } from '../../pipelines/evaluation/metrics';
import { readLabelledCsv, scoreTable } from '../../pipelines/evaluation/score';
import { ModelSession } from '../inference/model-session';
import { datasetLineageSchema } from '../../pipelines/processing/dataset-lineage';

/**
 * The Evaluate step of the training pipeline: score the trained model on validation and holdout with
 * onnxruntime, apply the threshold gate and compare with the live champion. It also reads the run's dataset lineage
 * (dataset.json of the processing job), so the version is registered with the dataset it was trained on.
 */

const s3UriSchema = z.string().regex(/^s3:\/\/[^/]+\/.+$/, 'expected an s3://bucket/key URI');

/** The state machine's input to the Evaluate step. */
export const evaluateInputSchema = z.object({
  executionName: z.string().min(1),
  model: z.string().min(1),
  /** s3://.../model.tar.gz written by the training job. */
  modelArtifactUri: s3UriSchema,
  /** s3://.../processed/holdout/data.csv and .../validation/data.csv */
  holdoutUri: s3UriSchema,
  validationUri: s3UriSchema,
  /** s3://.../processed/dataset.json written by the processing job. */
  datasetLineageUri: s3UriSchema,
});
export type EvaluateInput = z.infer<typeof evaluateInputSchema>;

export interface EvaluateResult {
  metrics: { validation: Metrics; holdout: Metrics };
  artifactSha256: string;
  /** The raw dataset of the run (the processing job's input) and the sha256 of its bytes, for the registry. */
  dataset: { uri: string; sha256: string };
  gate: { passed: boolean; reason: string };
  champion: Champion | null;
  approve: boolean;
}

/** The live version's recorded holdout metrics, or null when nothing is live. */
export type ChampionLookup = (model: string) => Promise<{ version: number; holdout: Metrics } | null>;

export async function evaluate(
  deps: { s3: S3Client; lookupChampion: ChampionLookup; artifactBucket: string },
  config: EvaluationConfig,
  input: EvaluateInput,
): Promise<EvaluateResult> {
  // Only the team's artifact store is read: the function's role is scoped to it, and a foreign URI is a wiring bug.
  for (const uri of [input.modelArtifactUri, input.validationUri, input.holdoutUri, input.datasetLineageUri]) {
    if (parseS3Uri(uri).bucket !== deps.artifactBucket) {
      throw new Error(`${uri} is outside the artifact bucket ${deps.artifactBucket}`);
    }
  }
  const dataset = await readDatasetLineage(deps.s3, input.datasetLineageUri);
  const archive = await getObjectByUri(deps.s3, input.modelArtifactUri);
  const artifactSha256 = createHash('sha256').update(archive).digest('hex');
  const { onnx, metadata } = await unpackModelArchive(archive, input.modelArtifactUri);
  if (metadata.task !== config.task) {
    throw new Error(`the model is a ${metadata.task} model but the team's task is ${config.task}`);
  }
  const predictor = await ModelSession.create({ onnx, metadata });
  try {
    const score = async (uri: string) =>
      scoreTable(predictor, readLabelledCsv(uri, (await getObjectByUri(deps.s3, uri)).toString('utf8'), metadata), metadata.task);
    const metrics = { validation: await score(input.validationUri), holdout: await score(input.holdoutUri) };
    const live = await deps.lookupChampion(input.model);
    const championMetric = live?.holdout[config.primaryMetric];
    const champion = live && championMetric !== undefined ? { version: live.version, metric: championMetric } : null;
    const decision = decide(config, metrics.holdout, champion);
    return { metrics, artifactSha256, dataset, gate: decision.gate, champion, approve: decision.approve };
  } finally {
    await predictor.release();
  }
}

/** The lineage the processing job wrote; a missing or malformed file fails the run rather than losing the lineage. */
async function readDatasetLineage(s3: S3Client, uri: string): Promise<{ uri: string; sha256: string }> {
  let json: unknown;
  try {
    json = JSON.parse((await getObjectByUri(s3, uri)).toString('utf8'));
  } catch (err) {
    throw new Error(`cannot read the dataset lineage ${uri}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const parsed = datasetLineageSchema.safeParse(json);
  if (!parsed.success) throw new Error(`invalid dataset lineage ${uri}: ${formatIssues(parsed.error).join('; ')}`);
  return { uri: parsed.data.inputUri, sha256: parsed.data.sha256 };
}
