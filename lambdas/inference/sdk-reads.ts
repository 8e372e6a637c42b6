import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createS3Client, s3ArtifactReader } from '../../pipelines/common/s3';
import { DynamoRegistryStore, registryDocumentClient } from '../registry/dynamodb-store';
import type { ModelReads } from './model-store';

/**
 * Registry and artifact reads through the AWS SDK's clients, with its whole credential chain (an EKS pod's web
 * identity, a profile) and endpoint options. Imported where it is first used (model-source.ts, shadow-from-env.ts),
 * so a Lambda cold start does not load the SDK before its first prediction.
 */
export const sdkRegistryStore = (registryTable: string) => new DynamoRegistryStore(registryDocumentClient(new DynamoDBClient({})), registryTable);

export const sdkModelReads = (registryTable: string): ModelReads => ({
  registry: sdkRegistryStore(registryTable),
  artifacts: s3ArtifactReader(createS3Client()),
});
