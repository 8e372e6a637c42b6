import { readFileSync } from 'node:fs';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { exposeZipMapInput, OnnxParseError, parseOnnxModel, zipMapOutputs } from '../../../bin/byom/zipmap-rewrite';
import { loadExpected } from '../../lambdas/inference/fixtures';

const IRIS = readFileSync('test/fixtures/models/iris-logistic.onnx');
const FRAUD_GBT = readFileSync('test/fixtures/models/fraud-gbt.onnx');

async function run(onnx: Uint8Array, rows: number[][]) {
  const session = await InferenceSession.create(onnx);
  try {
    const input = new Tensor('float32', Float32Array.from(rows.flat()), [rows.length, rows[0].length]);
    const fetches = session.outputMetadata.filter((o) => o.isTensor).map((o) => o.name);
    return { outputs: session.outputNames, results: await session.run({ [session.inputNames[0]]: input }, fetches) };
  } finally {
    await session.release();
  }
}

describe('ZipMap outputs', () => {
  it("finds skl2onnx's ZipMap output, its probability tensor and the class labels of its columns", () => {
    expect(zipMapOutputs(parseOnnxModel(IRIS))).toEqual([
      { output: 'output_probability', probabilities: 'probabilities', classLabels: ['setosa', 'versicolor', 'virginica'] },
    ]);
    expect(zipMapOutputs(parseOnnxModel(FRAUD_GBT))).toEqual([{ output: 'output_probability', probabilities: 'probabilities', classLabels: [0, 1] }]);
  });

  it("rewrites the model to return the ZipMap's input: scikit-learn's probabilities, the label output unchanged", async () => {
    // GIVEN a model whose only probability output is a ZipMap, which onnxruntime-node cannot return
    const { rows, expected } = loadExpected('iris-logistic');
    await expect(InferenceSession.create(IRIS).then((s) => s.run({ float_input: new Tensor('float32', new Float32Array(4), [1, 4]) }))).rejects.toThrow(/Non tensor type/);

    // WHEN its ZipMap is replaced by its input
    const [zipMap] = zipMapOutputs(parseOnnxModel(IRIS));
    const { outputs, results } = await run(exposeZipMapInput(IRIS, zipMap), rows);

    // THEN the graph returns the label and the [N, 3] probabilities, equal to scikit-learn's predict_proba
    expect(outputs).toEqual(['output_label', 'probabilities']);
    expect(results.probabilities.dims).toEqual([rows.length, 3]);
    const probabilities = results.probabilities.data as Float32Array;
    expected.forEach((row, r) => (row as number[]).forEach((p, c) => expect(Math.abs(probabilities[3 * r + c] - p)).toBeLessThan(1e-6)));
    const argmax = (expected as number[][]).map((row) => zipMap.classLabels[row.indexOf(Math.max(...row))]);
    expect(Array.from(results.output_label.data as string[])).toEqual(argmax);
  });

  it('keeps a probability tensor the graph already returns as one output, and drops only the ZipMap', async () => {
    const [zipMap] = zipMapOutputs(parseOnnxModel(FRAUD_GBT));
    const rewritten = parseOnnxModel(exposeZipMapInput(FRAUD_GBT, zipMap));
    expect(rewritten.graph?.output?.map((o) => o.name)).toEqual(['label', 'probabilities']);
    expect(rewritten.graph?.node?.map((n) => n.opType)).toEqual(['TreeEnsembleClassifier']);
  });

  it('refuses bytes that are not an ONNX model', () => {
    expect(() => parseOnnxModel(Buffer.from('not a model at all'))).toThrow(OnnxParseError);
  });
});
