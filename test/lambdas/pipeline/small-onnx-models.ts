import { create } from 'tar';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeModel, floatInfo, floatTensor, INPUT_NAME, node, PROBABILITIES_OUTPUT } from '../../../pipelines/trainer/onnx/graph';

/**
 * Small ONNX classifiers, built with the trainer's onnx-proto helpers, for the evaluation's checks of what a
 * training container wrote: a sound softmax model and ways a real export goes wrong.
 */
export interface LinearClassifierOptions {
  /** Feature-by-class weights, row-major (width x classes). */
  weights: readonly (readonly number[])[];
  /** The input's declared width; a string declares it symbolic (as an export with a dynamic width does). @default weights.length */
  inputWidth?: number | string;
  /** softmax: probabilities that sum to 1; sigmoid: one independent probability per class (they do not sum to 1). */
  head: 'softmax' | 'sigmoid';
  /** Takes the square root of (features - nanBelow) first: a row with a feature below its value gets NaN. */
  nanBelow?: readonly number[];
}

/** features [N, width] -> (sqrt(features - nanBelow)) -> MatMul(weights) -> softmax or sigmoid -> probabilities [N, classes]. */
export function linearClassifier(options: LinearClassifierOptions): Uint8Array {
  const { weights, head } = options;
  const classes = weights[0].length;
  const { nanBelow } = options;
  const source = nanBelow ? 'rooted' : INPUT_NAME;
  return encodeModel(
    {
      name: 'test-classifier',
      input: [floatInfo(INPUT_NAME, ['N', options.inputWidth ?? weights.length])],
      output: [floatInfo(PROBABILITIES_OUTPUT, ['N', classes])],
      initializer: [
        floatTensor('weights', [weights.length, classes], weights.flat()),
        ...(nanBelow ? [floatTensor('nan_below', [nanBelow.length], nanBelow)] : []),
      ],
      node: [
        ...(nanBelow ? [node('Sub', [INPUT_NAME, 'nan_below'], ['shifted']), node('Sqrt', ['shifted'], ['rooted'])] : []),
        node('MatMul', [source, 'weights'], ['logits']),
        head === 'softmax' ? node('Softmax', ['logits'], [PROBABILITIES_OUTPUT], { axis: 1 }) : node('Sigmoid', ['logits'], [PROBABILITIES_OUTPUT]),
      ],
    },
    'test model',
  );
}

/** A model.tar.gz holding exactly `files`, as SageMaker tars whatever the container left in /opt/ml/model. */
export async function tarball(files: Record<string, string | Uint8Array>): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'model-dir-'));
  try {
    for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
    const chunks: Buffer[] = [];
    for await (const chunk of create({ cwd: dir, gzip: true, portable: true }, ['.']) as unknown as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
