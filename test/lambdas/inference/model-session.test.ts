import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelUnavailableError } from '../../../lambdas/inference/errors';
import { ModelSession } from '../../../lambdas/inference/model-session';
import { encodePrediction } from '../../../lambdas/inference/predict';
import { parseInvocation, DEFAULT_LIMITS } from '../../../lambdas/inference/request-schema';
import { FIXTURE_MODELS, loadFixture, named } from './fixtures';

interface ResponseBody {
  predictions: ({ label: string | number; probabilities: number[] } | number)[];
  modelVersion: number;
}

const sessions: ModelSession[] = [];
afterAll(async () => Promise.all(sessions.map((s) => s.release())));

/** onnxruntime's own output for the rows, from a plain session with default options. */
async function onnxruntimeOutput(onnx: Uint8Array, inputName: string, outputName: string, rows: number[][]): Promise<number[]> {
  const session = await InferenceSession.create(onnx);
  const input = new Tensor('float32', Float32Array.from(rows.flat()), [rows.length, rows[0].length]);
  const result = await session.run({ [inputName]: input }, [outputName]);
  await session.release();
  return Array.from(result[outputName].data as Float32Array);
}

describe.each(FIXTURE_MODELS)('predictions of %s', (name) => {
  const fixture = loadFixture(name);
  const { rows } = fixture.expected;

  it.each(['positional', 'named'] as const)('equal onnxruntime session.run for %s instances', async (form) => {
    // GIVEN the model loaded by the inference tier and by a bare onnxruntime session
    const session = await ModelSession.create(fixture);
    sessions.push(session);
    const reference = await onnxruntimeOutput(fixture.onnx, fixture.metadata.inputName, fixture.metadata.outputName, rows);
    const instances = form === 'positional' ? rows : rows.map((row) => named(row, fixture.metadata));

    // WHEN the rows are predicted through the request schema
    const invocation = parseInvocation(JSON.stringify({ instances }), session, DEFAULT_LIMITS);
    const body = JSON.parse(encodePrediction(session, await session.run(invocation.features, invocation.rows), invocation.rows, 7, 'req').body) as ResponseBody;

    // THEN every value is onnxruntime's (within 1e-6), and the labels follow the probabilities
    expect(body.modelVersion).toBe(7);
    expect(body.predictions).toHaveLength(rows.length);
    const columns = reference.length / rows.length;
    body.predictions.forEach((prediction, r) => {
      if (fixture.metadata.task === 'regression') {
        expect(prediction as number).toBeCloseTo(reference[r], 6);
        return;
      }
      const { label, probabilities } = prediction as { label: string | number; probabilities: number[] };
      if (fixture.metadata.task === 'multiclass-classification') {
        const row = reference.slice(r * columns, (r + 1) * columns);
        expect(probabilities).toHaveLength(columns);
        probabilities.forEach((p, c) => expect(Math.abs(p - row[c])).toBeLessThanOrEqual(1e-6));
        expect(label).toBe(fixture.metadata.labels?.[row.indexOf(Math.max(...row))]);
        return;
      }
      const p1 = columns === 2 ? reference[2 * r + 1] : reference[r];
      const p0 = columns === 2 ? reference[2 * r] : 1 - p1;
      expect(Math.abs(probabilities[0] - p0)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(probabilities[1] - p1)).toBeLessThanOrEqual(1e-6);
      const labels = fixture.metadata.labels ?? [0, 1];
      expect(label).toBe(p1 > p0 ? labels[1] : labels[0]);
    });
  });

  it('agree with the framework that made the model (independent check of the graph)', async () => {
    const session = await ModelSession.create(fixture);
    sessions.push(session);
    const invocation = parseInvocation(JSON.stringify({ instances: rows }), session, DEFAULT_LIMITS);
    const body = JSON.parse(encodePrediction(session, await session.run(invocation.features, invocation.rows), invocation.rows, 1, 'req').body) as ResponseBody;
    body.predictions.forEach((prediction, r) => {
      const expected = fixture.expected.expected[r];
      if (typeof prediction === 'number') expect(Math.abs(prediction - (expected as number))).toBeLessThan(1e-4);
      else if (fixture.metadata.task === 'multiclass-classification') {
        (expected as number[]).forEach((p, c) => expect(Math.abs(prediction.probabilities[c] - p)).toBeLessThan(1e-5));
      } else expect(Math.abs(prediction.probabilities[1] - (expected as number[])[1])).toBeLessThan(1e-5);
    });
  });
});

describe('ModelSession.create refuses a model that does not match its metadata', () => {
  const { onnx, metadata } = loadFixture('mlp-classifier');

  it.each([
    ['another input name', { ...metadata, inputName: 'features' }, 'metadata.json names input "features", the graph\'s input is "input"'],
    ['another feature count', { ...metadata, features: metadata.features.slice(0, 3) }, 'input "input" has 4 columns, metadata.json lists 3 features'],
    ['an unknown output', { ...metadata, outputName: 'probabilities' }, 'metadata.json names output "probabilities", the graph\'s outputs are: output'],
    ['three labels', { ...metadata, labels: ['a', 'b', 'c'] }, 'a binary classifier needs 2 labels in metadata.json, got 3'],
    ['a regression task on a 2-column output', { ...metadata, task: 'regression' as const }, 'must have 1 value per row ([N, 1] or [N]), has 2'],
  ])('with %s', async (_what, bad, message) => {
    const error = await ModelSession.create({ onnx, metadata: bad }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect((error as Error).message).toContain(message);
  });

  it.each([
    ['four labels for its three probability columns', [1, 2, 3, 4], 'must have one probability per class per row ([N, 4] for its 4 classes), has 3'],
    ['three labels on a binary output', ['a', 'b', 'c'], 'must have one probability per class per row ([N, 3] for its 3 classes), has 2'],
  ])('with a multiclass task and %s', async (_what, labels, message) => {
    const fixture = loadFixture(labels.length === 4 ? 'wine-torch' : 'mlp-classifier');
    const bad = { ...fixture.metadata, task: 'multiclass-classification' as const, labels };
    await expect(ModelSession.create({ onnx: fixture.onnx, metadata: bad })).rejects.toThrow(message);
  });

  it('with bytes that are not ONNX', async () => {
    await expect(ModelSession.create({ onnx: Buffer.from('not a model'), metadata })).rejects.toThrow(/onnxruntime cannot load the model/);
  });
});

describe('a model with a ZipMap output (skl2onnx default)', () => {
  it('loads and serves its probabilities tensor; onnxruntime-node alone cannot return all outputs', async () => {
    const fixture = loadFixture('fraud-gbt');
    const bare = await InferenceSession.create(fixture.onnx);
    const input = new Tensor('float32', new Float32Array(9), [1, 9]);
    await expect(bare.run({ features: input })).rejects.toThrow(/Non tensor type/);
    await bare.release();

    const session = await ModelSession.create(fixture);
    sessions.push(session);
    const output = await session.run(new Float32Array(9), 1);
    expect(output.columns).toBe(2);
  });
});
