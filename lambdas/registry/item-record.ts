/** The table's own attributes (keys, index keys, the change protocol's stamps), which no record carries. */
const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'changeRevision', 'revision', 'pending'];

/**
 * A registry item as the record it stores (see dynamodb-store.ts): the item without its table attributes. Shared by
 * the store and the inference function's direct registry read (lambdas/inference/direct-reads.ts).
 */
export function recordOf<T>(item: Record<string, unknown>): T {
  const copy = { ...item };
  for (const attribute of KEY_ATTRIBUTES) delete copy[attribute];
  return copy as T;
}
