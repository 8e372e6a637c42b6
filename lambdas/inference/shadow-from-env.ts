import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoRegistryStore, registryDocumentClient } from '../registry/dynamodb-store';
import { optionalEnv, requiredEnv } from '../shared/env';
import { LambdaShadowSender, ShadowCopies } from './shadow-copies';

/**
 * Shadow copies as the environment configures them: SHADOW_FUNCTION_NAME (set by the ShadowTest construct, lib/shadow-test.ts)
 * names the function that answers them; unset (the EKS tier, a stack without shadow tests) there are none. The shadow
 * state is the registry's model item (REGISTRY_TABLE_NAME), read with the table read access serving already has.
 */
export function shadowCopiesFromEnv(model: string): ShadowCopies | undefined {
  const functionName = optionalEnv('SHADOW_FUNCTION_NAME', '');
  if (functionName === '') return undefined;
  const store = new DynamoRegistryStore(registryDocumentClient(new DynamoDBClient({})), requiredEnv('REGISTRY_TABLE_NAME'));
  return new ShadowCopies(model, { current: async (name) => (await store.getModel(name))?.record.shadow }, new LambdaShadowSender(functionName));
}
