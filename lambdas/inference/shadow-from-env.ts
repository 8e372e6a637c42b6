import type { RegistryStore } from '../registry/store';
import { optionalEnv, requiredEnv } from '../shared/env';
import { LambdaShadowSender, ShadowCopies } from './shadow-copies';

/**
 * Shadow copies as the environment configures them: SHADOW_FUNCTION_NAME (set by the ShadowTest construct, lib/shadow-test.ts)
 * names the function that answers them; unset (the EKS tier, a stack without shadow tests) there are none. The shadow
 * state is the registry's model item (REGISTRY_TABLE_NAME), read with the table read access serving already has; its
 * SDK client is imported on the first read, after the cold start's model load (InferenceService.warmUp).
 */
export function shadowCopiesFromEnv(model: string): ShadowCopies | undefined {
  const functionName = optionalEnv('SHADOW_FUNCTION_NAME', '');
  if (functionName === '') return undefined;
  const table = requiredEnv('REGISTRY_TABLE_NAME');
  let store: Promise<RegistryStore> | undefined;
  const current = async (name: string) => {
    store ??= import('./sdk-reads').then(({ sdkRegistryStore }) => sdkRegistryStore(table));
    return (await (await store).getModel(name))?.record.shadow;
  };
  return new ShadowCopies(model, { current }, new LambdaShadowSender(functionName));
}
