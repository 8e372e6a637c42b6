import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { requiredEnv } from '../shared/env';
import { DynamoRegistryStore, registryDocumentClient } from './dynamodb-store';
import { ModelRegistry, type ModelRegistryOptions } from './registry';

/** The registry of REGISTRY_TABLE_NAME; the endpoint and region come from the standard AWS environment. */
export function registryFromEnv(options: ModelRegistryOptions = {}): ModelRegistry {
  const client = registryDocumentClient(new DynamoDBClient({}));
  return new ModelRegistry(new DynamoRegistryStore(client, requiredEnv('REGISTRY_TABLE_NAME')), options);
}
