import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readModelArchive } from '../../../../lambdas/inference/model-archive';
import { ModelSession } from '../../../../lambdas/inference/model-session';
import { modelMetadataSchema } from '../../../../contracts/model-metadata';
import { rangeFragileArchive } from '../../../../local/driver/drills/range-fragile-model';
import { packModelArchive } from '../../../../pipelines/common/model-archive';

const FIXTURES = join(__dirname, '..', '..', '..', 'fixtures', 'models');

describe('the canary drill model', () => {
  it('answers exactly as the model it wraps inside the bounds, and fails on a batch with a row beyond them', async () => {
    // GIVEN a gradient-boosted fraud model and bounds of 100 on every feature
    const metadata = modelMetadataSchema.parse(JSON.parse(readFileSync(join(FIXTURES, 'fraud-gbt.metadata.json'), 'utf8')));
    const original = await packModelArchive(readFileSync(join(FIXTURES, 'fraud-gbt.onnx')), metadata);
    const width = metadata.features.length;
    const fragile = await rangeFragileArchive(original, new Array(width).fill(100));
    // WHEN both are loaded (each probes one row of zeros)
    const [a, b] = await Promise.all([original, fragile].map((archive) => ModelSession.create(readModelArchive(archive, 'test archive'))));
    try {
      const inside = Float32Array.from({ length: 137 * width }, (_, i) => ((i * 7919) % 1000) / 10);
      // THEN inside the bounds, the same numbers
      expect(Array.from((await b.run(inside, 137)).data)).toEqual(Array.from((await a.run(inside, 137)).data));
      // AND one value beyond a bound fails the whole batch in onnxruntime, where the original answers
      const beyond = Float32Array.from(inside.subarray(0, 20 * width));
      beyond[5 * width + 2] = 100.5;
      await expect(b.run(beyond, 20)).rejects.toThrow(/Gather|out of|bounds/i);
      expect((await a.run(beyond, 20)).data.length).toBeGreaterThan(0);
    } finally {
      await Promise.all([a.release(), b.release()]);
    }
  });

  it('refuses bounds that do not match the features', async () => {
    const metadata = modelMetadataSchema.parse(JSON.parse(readFileSync(join(FIXTURES, 'fraud-gbt.metadata.json'), 'utf8')));
    const original = await packModelArchive(readFileSync(join(FIXTURES, 'fraud-gbt.onnx')), metadata);
    await expect(rangeFragileArchive(original, [1, 2])).rejects.toThrow(`expected ${metadata.features.length} bounds (one per feature), got 2`);
  });
});
