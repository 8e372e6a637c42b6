import type { ALGORITHMS, MODEL_TASKS } from '../../../contracts/team-config';

export type Algorithm = (typeof ALGORITHMS)[number];
export type ModelTask = (typeof MODEL_TASKS)[number];

/** A trained model that can predict like its ONNX export does and serialise itself as ONNX. */
export interface TrainedModel {
  readonly algorithm: Algorithm;
  readonly task: ModelTask;
  /** Graph output the platform reads: class probabilities [N, 2] or predicted values [N, 1]. */
  readonly outputName: string;
  /**
   * Positive-class probability (classification) or predicted value (regression) of each row of the row-major
   * matrix, evaluated on float32 inputs and parameters exactly as the exported graph evaluates them.
   */
  predict(features: ArrayLike<number>, rowCount: number): Float64Array;
  /** The ONNX model; the same trained model always gives the same bytes. */
  toOnnx(): Uint8Array;
}

export const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
