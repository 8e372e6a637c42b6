/**
 * A captured inference row (JSON lines under capture/<model>/ in the artifact store).
 * Producers: the inference tier (lambdas/inference/traffic-capture.ts), through Firehose.
 * Consumers: the drift job (lambdas/drift/capture-window.ts, window-columns.ts, prediction-drift.ts) and the quality job
 * (lambdas/quality/), which joins labels to rows by `predictionId`.
 */
import { z } from 'zod';

/** One captured inference row, as the inference tier writes it (JSON lines) and the drift job reads it. */
export const captureRecordSchema = z.object({
  model: z.string(),
  modelVersion: z.number().int().positive(),
  /** ISO-8601 time of the request. */
  at: z.string(),
  requestId: z.string(),
  /**
   * The prediction's id, `<requestId>:<row>` (contracts/ground-truth.ts), as the response returned it; labels are joined
   * to the row by it. Absent in records captured before prediction ids existed.
   */
  predictionId: z.string().optional(),
  /** Feature values in the model's feature order. */
  features: z.array(z.number()),
  /**
   * Probability of the positive class (binary classification), of the predicted class (multiclass), or the
   * predicted value (regression).
   */
  prediction: z.number(),
  /** The predicted class label (classification). */
  label: z.union([z.string(), z.number()]).optional(),
  /** Every class's probability, in the order of the model's labels (multiclass classification). */
  probabilities: z.array(z.number()).optional(),
});
export type CaptureRecord = z.infer<typeof captureRecordSchema>;
