import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { shadowBatchSchema } from '../../contracts/shadow-test';
import { createS3Client } from '../../pipelines/common/s3';
import { DynamoRegistryStore, registryDocumentClient } from '../registry/dynamodb-store';
import { parseInput } from '../registry/parse-input';
import { requiredEnv } from '../shared/env';
import { ShadowInference } from './shadow-inference';

const shadow = new ShadowInference({
  s3: createS3Client(),
  registry: new DynamoRegistryStore(registryDocumentClient(new DynamoDBClient({})), requiredEnv('REGISTRY_TABLE_NAME')),
  bucket: requiredEnv('ARTIFACT_BUCKET'),
  model: requiredEnv('MODEL_NAME'),
});

/**
 * The shadow function, invoked asynchronously by the live inference function with a batch of copied requests
 * (contracts/shadow-test.ts). A malformed batch or a write that fails throws: Lambda retries the event, then puts it
 * in the dead-letter queue, whose alarm says so.
 */
export const handler = async (event: unknown, context: { awsRequestId: string }) => shadow.run(parseInput(shadowBatchSchema, event, 'shadow batch'), context.awsRequestId);
