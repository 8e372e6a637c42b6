import type * as ort from 'onnxruntime-node';
import type { ModelMetadata } from '../../contracts/model-metadata';
import { ModelContractError } from './errors';
import { InputBuffers } from './input-buffers';
import type { ModelArtifact } from './model-archive';

let runtime: typeof ort | undefined;

/**
 * onnxruntime-node, loaded on first use. Required, not imported: the function bundles are ES modules
 * (lib/private/mlops-function.ts), whose imports do not search NODE_PATH, where Lambda and the twin put the onnxruntime
 * layer's packages; `require` does. Not at module load: the inference function loads it while its model's reads are
 * in flight (InferenceService.warmUp), rather than before it sends them.
 */
export function onnxRuntime(): typeof ort {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  runtime ??= require('onnxruntime-node') as typeof ort;
  return runtime;
}

/**
 * Session options of every model this tier serves, also used by the benchmark's bare reference session.
 * Tabular models are small: one intra-op thread avoids thread-pool hand-offs (and spinning threads on a
 * Lambda's ~1 vCPU) that cost more than they save at these sizes.
 */
export const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
};

/**
 * Raw model output for a batch, `columns` values per row: a binary classifier's [p0, p1] (2) or p1 (1); a
 * multiclass classifier's probability per class in the order of metadata.json's labels (K); a regressor's value (1).
 */
export interface ModelOutput {
  data: Float32Array | Float64Array;
  columns: number;
}

const FLOAT_OUTPUTS = new Set(['float32', 'float64']);

const rethrow = (error: unknown): never => {
  throw error;
};

/**
 * One loaded model: an InferenceSession plus what the request schema and the response need from its metadata.
 * The one ONNX session wrapper of the platform: the inference tier serves through it, and evaluation and
 * bring-your-own-model registration score holdout sets through it (pipelines/evaluation/score.ts), so a model
 * is run, and its positive class read, the same way everywhere. No Lambda dependencies.
 *
 * Works with any ONNX model that has one 2-D float input: binary classifiers with a probabilities tensor [N, 2]
 * (skl2onnx without ZipMap, the project's trainer, a PyTorch softmax head) or one probability column [N, 1] / [N]
 * (sigmoid), multiclass classifiers with a probabilities tensor [N, K] for their K labels, and regressors with
 * [N, 1] or [N]. Only the metadata's output tensor is fetched, so models that also emit sequence/map outputs
 * (ZipMap), which onnxruntime-node cannot return, load and run.
 */
export class ModelSession {
  readonly featureNames: readonly string[];
  /** Column of each feature name in the input. */
  readonly featureIndex: ReadonlyMap<string, number>;
  readonly width: number;
  readonly task: ModelMetadata['task'];
  /**
   * Class labels in the order of the probability columns: [negative, positive] of a binary classifier (default
   * [0, 1]), every class of a multiclass one; none for a regressor.
   */
  readonly labels: readonly (string | number)[];
  /** The labels as JSON, encoded once rather than per response. */
  readonly labelsJson: readonly string[];
  private readonly fetches: string[];
  private readonly inputs: InputBuffers;
  /** The feeds of each input buffer, made once: a pooled buffer is run many times, and a Tensor costs a visible share of a batch-1 request. */
  private readonly feeds = new WeakMap<Float32Array, ort.InferenceSession.FeedsType>();
  private columns = 1;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly metadata: ModelMetadata,
  ) {
    this.featureNames = metadata.features.map((f) => f.name);
    this.featureIndex = new Map(this.featureNames.map((name, i) => [name, i]));
    this.width = this.featureNames.length;
    this.task = metadata.task;
    this.labels = metadata.task === 'regression' ? [] : (metadata.labels ?? [0, 1]);
    this.labelsJson = this.labels.map((label) => JSON.stringify(label));
    this.fetches = [metadata.outputName];
    this.inputs = new InputBuffers(this.width);
  }

  /** Creates the session, checks the graph against the metadata and probes the output shape with one row. */
  static async create(artifact: ModelArtifact): Promise<ModelSession> {
    const { metadata } = artifact;
    let session: ort.InferenceSession;
    try {
      session = await onnxRuntime().InferenceSession.create(artifact.onnx, SESSION_OPTIONS);
    } catch (error) {
      throw new ModelContractError(`onnxruntime cannot load the model: ${(error as Error).message}`, { cause: error });
    }
    try {
      checkGraph(session, metadata);
      const model = new ModelSession(session, metadata);
      await model.probe();
      return model;
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  /** Runs `rows` rows of features (row-major, in feature order). */
  run(features: Float32Array, rows: number): Promise<ModelOutput> {
    return this.runWith(features, rows, (output) => output, rethrow);
  }

  /**
   * `run`, handing the output to `use` (or a failure of the run, the output check or `use` to `recover`) in the
   * run's own callback, so the serving path adds no promise hop of its own.
   */
  runWith<T>(features: Float32Array, rows: number, use: (output: ModelOutput) => T, recover: (error: unknown) => T): Promise<T> {
    return this.session.run(this.feedsOf(features, rows), this.fetches).then((results) => {
      try {
        return use(this.output(results, rows));
      } catch (error) {
        return recover(error);
      }
    }, recover);
  }

  private feedsOf(features: Float32Array, rows: number): ort.InferenceSession.FeedsType {
    let feeds = this.feeds.get(features);
    // A buffer's length fixes its shape; a mismatch is the caller's error, which the Tensor reports.
    if (!feeds || features.length !== rows * this.width) {
      feeds = { [this.metadata.inputName]: new (onnxRuntime().Tensor)('float32', features, [rows, this.width]) };
      this.feeds.set(features, feeds);
    }
    return feeds;
  }

  /** A [rows, width] input buffer for `run`, pooled for small batches (the request schema fills it). */
  inputBuffer(rows: number): Float32Array {
    return this.inputs.take(rows);
  }

  /** Hands a buffer from `inputBuffer` back once its run has finished. */
  releaseInputBuffer(buffer: Float32Array): void {
    this.inputs.release(buffer);
  }

  release(): Promise<void> {
    return this.session.release();
  }

  private output(results: ort.InferenceSession.OnnxValueMapType, rows: number): ModelOutput {
    const data = results[this.metadata.outputName].data as Float32Array | Float64Array;
    if (data.length !== rows * this.columns) {
      throw new ModelContractError(
        `output "${this.metadata.outputName}" has ${data.length} values for ${rows} rows; expected ${this.columns} per row`,
      );
    }
    return { data, columns: this.columns };
  }

  /**
   * One row of zeros tells how many columns the output has per row (shapes are often symbolic) and warms the session.
   * A multiclass output must be a [1, K] matrix for its K labels: a flat [K] would be read as K rows of one value.
   */
  private async probe(): Promise<void> {
    const input = new (onnxRuntime().Tensor)('float32', new Float32Array(this.width), [1, this.width]);
    const results = await this.session.run({ [this.metadata.inputName]: input }, this.fetches);
    const { data, dims } = results[this.metadata.outputName];
    const columns = data.length;
    const classes = this.labels.length;
    const allowed = this.task === 'regression' ? [1] : this.task === 'multiclass-classification' ? [classes] : [1, 2];
    if (!allowed.includes(columns) || (this.task === 'multiclass-classification' && dims.length !== 2)) {
      const expected =
        this.task === 'regression'
          ? '1 value per row ([N, 1] or [N])'
          : this.task === 'multiclass-classification'
            ? `one probability per class per row ([N, ${classes}] for its ${classes} classes)`
            : '1 or 2 values per row ([N, 2], [N, 1] or [N])';
      const has = dims.length === 2 || this.task !== 'multiclass-classification' ? String(columns) : `a ${dims.length}-D output [${dims.join(', ')}] for one row`;
      throw new ModelContractError(`output "${this.metadata.outputName}" of a ${this.task} model must have ${expected}, has ${has}`);
    }
    this.columns = columns;
  }
}

/** The graph must have one 2-D float input named as in the metadata, as wide as the feature list, and the output. */
function checkGraph(session: ort.InferenceSession, metadata: ModelMetadata): void {
  const width = metadata.features.length;
  if (session.inputNames.length !== 1) {
    throw new ModelContractError(`the model must have exactly one input, it has ${session.inputNames.length}: ${session.inputNames.join(', ')}`);
  }
  const [input] = session.inputMetadata;
  if (input.name !== metadata.inputName) {
    throw new ModelContractError(`metadata.json names input "${metadata.inputName}", the graph's input is "${input.name}"`);
  }
  if (!input.isTensor || input.type !== 'float32' || input.shape.length !== 2) {
    const got = input.isTensor ? `${input.type} [${input.shape.join(', ')}]` : 'a non-tensor';
    throw new ModelContractError(`input "${input.name}" must be a 2-D float32 tensor, got ${got}`);
  }
  const columns = input.shape[1];
  if (typeof columns === 'number' && columns !== width) {
    throw new ModelContractError(`input "${input.name}" has ${columns} columns, metadata.json lists ${width} features`);
  }
  const output = session.outputMetadata.find((o) => o.name === metadata.outputName);
  if (!output) {
    throw new ModelContractError(`metadata.json names output "${metadata.outputName}", the graph's outputs are: ${session.outputNames.join(', ')}`);
  }
  if (!output.isTensor || !FLOAT_OUTPUTS.has(output.type)) {
    throw new ModelContractError(`output "${output.name}" must be a float tensor, got ${output.isTensor ? output.type : 'a non-tensor'}`);
  }
  if (metadata.task === 'binary-classification' && metadata.labels && metadata.labels.length !== 2) {
    throw new ModelContractError(`a binary classifier needs 2 labels in metadata.json, got ${metadata.labels.length}`);
  }
}
