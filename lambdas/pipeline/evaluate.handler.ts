import { Logger } from '@aws-lambda-powertools/logger';
import type { z } from 'zod';
import { formatIssues } from '../../contracts/validation-issues';
import { createS3Client } from '../../pipelines/common/s3';
import { evaluationConfigSchema } from '../../pipelines/evaluation/gate';
import { NotFoundError } from '../registry/errors';
import { registryFromEnv } from '../registry/registry-from-env';
import { requiredEnv } from '../shared/env';
import { evaluate, evaluateInputSchema, type ChampionLookup, type EvaluateResult } from './evaluate';

/**
 * Evaluate step. Input: { executionName, model, modelArtifactUri, holdoutUri, validationUri, datasetLineageUri }.
 * Env: REGISTRY_TABLE_NAME, ARTIFACT_BUCKET, MODEL_NAME, EVALUATION_CONFIG ({ task, classes (multiclass only),
 * primaryMetric, threshold, championMargin, autoApprove }). Returns { metrics: { validation, holdout }, artifactSha256,
 * dataset: { uri, sha256 }, gate: { passed, reason }, champion: { version, metric } | null, approve }. A failed gate is a
 * result, not an error: the state machine decides; bad input throws, a model that is not the team's or whose output is
 * broken throws InvalidModelOutputError, and the pipeline's Catch records the failure.
 */
const logger = new Logger();
const s3 = createS3Client();
const registry = registryFromEnv();

const lookupChampion: ChampionLookup = async (model) => {
  try {
    const { liveVersion } = await registry.getModel(model);
    if (liveVersion === undefined) return null;
    const version = await registry.getVersion(model, liveVersion);
    return { version: liveVersion, holdout: version.metrics.holdout ?? {} };
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
};

const parsed = <T>(result: { success: true; data: T } | { success: false; error: z.ZodError }, what: string): T => {
  if (!result.success) throw new Error(`invalid ${what}: ${formatIssues(result.error).join('; ')}`);
  return result.data;
};

export const handler = async (event: unknown): Promise<EvaluateResult> => {
  const artifactBucket = requiredEnv('ARTIFACT_BUCKET');
  const model = requiredEnv('MODEL_NAME');
  const config = parsed(evaluationConfigSchema.safeParse(JSON.parse(requiredEnv('EVALUATION_CONFIG'))), 'EVALUATION_CONFIG');
  const input = parsed(evaluateInputSchema.safeParse(event), 'Evaluate input');
  if (input.model !== model) throw new Error(`this function evaluates model "${model}", got "${input.model}"`);
  const result = await evaluate({ s3, lookupChampion, artifactBucket }, config, input);
  logger.info('evaluated', { executionName: input.executionName, holdout: result.metrics.holdout, gate: result.gate, approve: result.approve });
  return result;
};
