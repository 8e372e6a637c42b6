import { describe, expect, it } from 'vitest';
import { chunkObjects } from '../../../lambdas/drift/drift-job';

describe('chunkObjects', () => {
  it('groups the window\'s objects in order into chunks of at most bytesPerChunk, an object larger than that alone', () => {
    const objects = [
      { key: 'a', size: 40 },
      { key: 'b', size: 60 },
      { key: 'c', size: 1 },
      { key: 'd', size: 250 },
      { key: 'e', size: 10 },
    ];
    expect(chunkObjects(objects, 100)).toEqual([['a', 'b'], ['c'], ['d'], ['e']]);
    expect(chunkObjects(objects, 1000)).toEqual([['a', 'b', 'c', 'd', 'e']]);
    expect(chunkObjects([], 100)).toEqual([]);
  });
});
