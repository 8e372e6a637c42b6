import * as ort from 'onnxruntime-node';
import type { ModelMetadata } from '../../lambdas/shared/model-metadata';

/**
 * An onnxruntime-node session over a platform model (model.onnx + metadata.json) that returns one number per
 * row: the positive-class probability (classification) or the predicted value (regression). Evaluation and
 * bring-your-own-model registration score holdout sets through it.
 */

export class ModelContractError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelContractError';
  }
}

export interface OnnxPredictor {
  readonly featureCount: number;
  predict(features: Float64Array | Float32Array, rowCount: number): Promise<Float64Array>;
  release(): Promise<void>;
}

/** Column of the positive class: the index of label 1 (or "1") in metadata.labels, else the last column. */
function positiveColumn(metadata: ModelMetadata): number {
  const labels = metadata.labels ?? [];
  const index = labels.findIndex((label) => String(label) === '1');
  return index >= 0 ? index : Math.max(labels.length - 1, 1);
}

export async function createOnnxPredictor(onnx: Uint8Array, metadata: ModelMetadata): Promise<OnnxPredictor> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(onnx);
  } catch (err) {
    throw new ModelContractError(`onnxruntime cannot load the model: ${(err as Error).message}`, { cause: err });
  }
  const featureCount = metadata.features.length;
  const input = session.inputMetadata.find((m) => m.name === metadata.inputName);
  if (session.inputNames.length !== 1 || !input) {
    throw new ModelContractError(
      `the model must have exactly one input named "${metadata.inputName}", has: ${session.inputNames.join(', ')}`,
    );
  }
  if (!input.isTensor || input.type !== 'float32' || input.shape.length !== 2) {
    throw new ModelContractError(`input "${input.name}" must be a 2-D float tensor [batch, ${featureCount}]`);
  }
  const width = input.shape[1];
  if (typeof width === 'number' && width !== featureCount) {
    throw new ModelContractError(`input "${input.name}" takes ${width} features, metadata lists ${featureCount}`);
  }
  if (!session.outputNames.includes(metadata.outputName)) {
    throw new ModelContractError(`the model has no output "${metadata.outputName}" (outputs: ${session.outputNames.join(', ')})`);
  }
  const column = metadata.task === 'regression' ? 0 : positiveColumn(metadata);
  return {
    featureCount,
    async predict(features, rowCount) {
      const tensor = new ort.Tensor('float32', Float32Array.from(features), [rowCount, featureCount]);
      const output = (await session.run({ [metadata.inputName]: tensor }, [metadata.outputName]))[metadata.outputName];
      const stride = output.dims.length === 2 ? Number(output.dims[1]) : 1;
      if (column >= stride) {
        throw new ModelContractError(`output "${metadata.outputName}" has ${stride} columns, expected at least ${column + 1}`);
      }
      const data = output.data as Float32Array;
      return Float64Array.from({ length: rowCount }, (_, i) => data[i * stride + column]);
    },
    release: () => session.release(),
  };
}
