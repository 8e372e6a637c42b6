/**
 * metadata.json beside model.onnx: the model's features, task, labels, outputs and metrics.
 * Producers: the trainer (pipelines/trainer/) and `mlops models register --onnx` (bin/byom/external-model.ts).
 * Consumers: the Register step (lambdas/pipeline/training-output.ts), the evaluation (pipelines/evaluation/), the
 * inference tier (lambdas/inference/model-session.ts), the holdout check (lambdas/deployment/) and the registry's
 * metrics schema (lambdas/registry/schemas.ts).
 */
// zod's mini build: this schema is on the inference function's cold path (contracts/zod-mini.ts says why).
import * as z from './zod-mini';

/**
 * metadata.json, written beside model.onnx by the trainer (or by `mlops models register` for a model
 * trained elsewhere). The inference tier, evaluation and the drift job read it.
 */
export const modelMetadataSchema = z
  .object({
    /** Graph input name and the feature order of its columns. */
    inputName: z.string(),
    features: z.array(z.object({ name: z.string(), type: z.enum(['numeric', 'categorical']) })).check(z.minLength(1)),
    task: z.enum(['binary-classification', 'multiclass-classification', 'regression']),
    /**
     * Class labels in the order of the probability columns (classification only): [negative, positive] for a binary
     * classifier (default [0, 1]); every class for a multiclass one (required there).
     */
    labels: z.optional(z.array(z.union([z.string(), z.number()]))),
    /** Output tensor with class probabilities (classification) or the predicted value (regression). */
    outputName: z.string(),
    algorithm: z.string(),
    hyperparameters: z._default(z.record(z.string(), z.unknown()), {}),
    metrics: z._default(z.record(z.string(), z.record(z.string(), z.number())), {}),
    trainingDataSha256: z.optional(z.string()),
    framework: z._default(z.string(), 'mlops-trainer'),
    /**
     * Set when registration changed the owner's graph (`mlops models register --onnx` replaces a ZipMap output,
     * which onnxruntime-node cannot return, by its input tensor): what changed, and the SHA-256 of model.onnx as given.
     */
    rewrite: z.optional(z.object({ change: z.string(), originalSha256: z.string() })),
    createdAt: z.optional(z.string()),
  })
  .check(
    z.superRefine((metadata, ctx) => {
      if (metadata.task === 'multiclass-classification' && (metadata.labels?.length ?? 0) < 3) {
        ctx.addIssue({ code: 'custom', path: ['labels'], message: 'a multiclass model lists its 3 or more class labels, in the order of its probability columns' });
      }
      if (metadata.task === 'binary-classification' && metadata.labels && metadata.labels.length !== 2) {
        ctx.addIssue({ code: 'custom', path: ['labels'], message: `a binary classifier has 2 labels, got ${metadata.labels.length}` });
      }
    }),
  );
export type ModelMetadata = z.infer<typeof modelMetadataSchema>;

export const MODEL_FILE = 'model.onnx';
export const METADATA_FILE = 'metadata.json';
