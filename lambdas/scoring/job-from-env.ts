import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createS3Client } from '../../pipelines/common/s3';
import { DynamoRegistryStore, registryDocumentClient } from '../registry/dynamodb-store';
import { requiredEnv } from '../shared/env';
import { BatchScoringJob } from './batch-scoring-job';

/** The team's scoring job: MODEL_NAME, the registry (REGISTRY_TABLE_NAME, read only) and the artifact store (ARTIFACT_BUCKET). */
export function batchScoringJobFromEnv(): BatchScoringJob {
  const registry = new DynamoRegistryStore(registryDocumentClient(new DynamoDBClient({})), requiredEnv('REGISTRY_TABLE_NAME'));
  return new BatchScoringJob({ s3: createS3Client(), registry, artifactBucket: requiredEnv('ARTIFACT_BUCKET'), model: requiredEnv('MODEL_NAME') });
}
