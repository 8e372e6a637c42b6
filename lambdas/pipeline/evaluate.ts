import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { formatIssues } from '../../contracts/validation-issues';
import { parseS3Uri } from '../../contracts/storage-layout';
import { parseCsvText } from '../../pipelines/common/csv';
import { getObjectByUri } from '../../pipelines/common/s3';
import { checkPredictions } from '../../pipelines/evaluation/check-predictions';
import { decide, type Champion, type EvaluationConfig } from '../../pipelines/evaluation/gate';
import type { Metrics } from '../../pipelines/evaluation/metrics';
import { metricsOf, predictTable, readLabelledCsv } from '../../pipelines/evaluation/score';
import { datasetLineageSchema } from '../../pipelines/processing/dataset-lineage';
import { openTrainingOutput } from './training-output';

/**
 * The Evaluate step of the training pipeline: check what the training job wrote (openTrainingOutput, then every
 * prediction with checkPredictions), score the model on validation and holdout with onnxruntime, apply the
 * threshold gate and compare with the live champion. It also reads the run's dataset lineage (dataset.json of the
 * processing job), so the version is registered with the dataset it was trained on. A model that fails a check
 * throws InvalidModelOutputError: the pipeline's Catch records the failed run and nothing is registered.
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
  const validation = (await getObjectByUri(deps.s3, input.validationUri)).toString('utf8');
  const expected = { task: config.task, classes: config.classes, features: featureColumnsOf(validation) };
  const predictor = await openTrainingOutput(archive, input.modelArtifactUri, expected);
  try {
    // Validation first: a model whose output is broken fails on the first split, naming the row.
    const score = async (uri: string, text: string): Promise<Metrics> => {
      const table = readLabelledCsv(uri, text, predictor.metadata);
      const output = await predictTable(predictor, table);
      checkPredictions(config.task, output, table.rowCount, uri);
      return metricsOf(config.task, table.labels, output);
    };
    const validationMetrics = await score(input.validationUri, validation);
    const holdout = await score(input.holdoutUri, (await getObjectByUri(deps.s3, input.holdoutUri)).toString('utf8'));
    const metrics = { validation: validationMetrics, holdout };
    const live = await deps.lookupChampion(input.model);
    const championMetric = live?.holdout[config.primaryMetric];
    const champion = live && championMetric !== undefined ? { version: live.version, metric: championMetric } : null;
    const decision = decide(config, metrics.holdout, champion);
    return { metrics, artifactSha256, dataset, gate: decision.gate, champion, approve: decision.approve };
  } finally {
    await predictor.release();
  }
}

/** The feature columns of a processed split: its header in the team's feature order, the label last. */
function featureColumnsOf(split: string): string[] {
  const end = split.indexOf('\n');
  return parseCsvText(end < 0 ? split : split.slice(0, end)).header.slice(0, -1);
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
