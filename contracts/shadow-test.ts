/**
 * Shadow tests: a pending version answers a sampled copy of live requests, and nobody sees its answers.
 * Producers: the live inference function (lambdas/inference/shadow-copies.ts) sends ShadowBatch events; the shadow
 * function (lambdas/shadow/shadow-inference.handler.ts) writes ShadowRecord lines under `shadow/<model>/v<version>/`;
 * the hourly report job (lambdas/shadow/shadow-report-job.ts) writes a ShadowReport into the registry
 * (lambdas/registry/registry.ts); the console (console/src/) and `mlops models shadow` (bin/commands/models.ts) send
 * the start body.
 * Consumers: the shadow function (the batches), the report job (the records), the approval API
 * (lambdas/registry/views.ts), the console's version page (console/src/views/version.js) and `mlops models show`
 * (bin/commands/models.ts) (the reports); lib/shadow-test.ts names the metrics.
 */
import { z } from 'zod';

/** Share of live requests copied to the shadow when the caller names none. */
export const DEFAULT_SHADOW_SAMPLE_PERCENT = 10;

/** Body of `POST /models/{model}/versions/{version}/shadow` (the approval API). */
export const startShadowBodySchema = z
  .object({
    comment: z.string().trim().min(1, 'comment is required').max(1000, 'comment must be at most 1000 characters'),
    samplePercent: z
      .number({ error: 'samplePercent must be a number' })
      .gt(0, 'samplePercent must be above 0')
      .max(100, 'samplePercent must be at most 100')
      .optional(),
  })
  .strict();

/** A shadow test in progress, as the registry keeps it on the model item. */
export interface ShadowState {
  version: number;
  /** Share of live requests copied to it, 0-100. */
  samplePercent: number;
  startedAt: string;
  startedBy: string;
}

/** What the live model answered for one row, as a capture record holds it (contracts/capture-record.ts). */
const answerSchema = z.object({
  /** Probability of the positive class (binary), of the predicted class (multiclass), or the value (regression). */
  prediction: z.number(),
  label: z.union([z.string(), z.number()]).optional(),
});
export type ShadowAnswer = z.infer<typeof answerSchema>;

/** One live request copied to the shadow: its rows' features (in the live model's feature order) and live answers. */
const copiedRequestSchema = z.object({
  requestId: z.string(),
  /** ISO-8601 time the live function answered. */
  at: z.string(),
  rows: z.array(z.object({ features: z.array(z.number()), live: answerSchema })).min(1),
});
export type CopiedRequest = z.infer<typeof copiedRequestSchema>;

/** The asynchronous event the live function sends the shadow function (InvocationType Event). */
export const shadowBatchSchema = z.object({
  kind: z.literal('mlops-shadow-batch'),
  model: z.string().min(1),
  liveVersion: z.number().int().positive(),
  shadowVersion: z.number().int().positive(),
  /** The live model's feature names, the order of every row's `features`. */
  featureNames: z.array(z.string()).min(1),
  requests: z.array(copiedRequestSchema).min(1),
});
export type ShadowBatch = z.infer<typeof shadowBatchSchema>;

/** One compared row (a JSON line of a shadow object): the live answer beside the shadow's, or the shadow's error. */
export const shadowRecordSchema = z.object({
  model: z.string(),
  liveVersion: z.number().int().positive(),
  shadowVersion: z.number().int().positive(),
  requestId: z.string(),
  at: z.string(),
  live: answerSchema,
  shadow: answerSchema.optional(),
  /** Why the shadow gave no answer (its model failed to load, the row did not fit its features, ...). */
  error: z.string().optional(),
  /** How long the shadow took for the request this row came in (all its rows at once), in milliseconds. */
  latencyMs: z.number().nonnegative(),
});
export type ShadowRecord = z.infer<typeof shadowRecordSchema>;

/** One hour's comparison of a shadow version with the live one, as the registry keeps it and the API shows it. */
export const shadowReportSchema = z.object({
  liveVersion: z.number().int().positive().nullable(),
  shadowVersion: z.number().int().positive(),
  windowStart: z.string(),
  windowEnd: z.string(),
  /** Rows the shadow was asked about (answered or failed). */
  rows: z.number().int().nonnegative(),
  /** Rows the shadow failed. */
  errors: z.number().int().nonnegative(),
  /** Share of answered rows whose labels agree, 0-1 (null for a regressor, or with no answered row). */
  agreementRate: z.number().nullable(),
  /** Mean absolute difference of the predictions (probabilities, or values for a regressor). */
  meanAbsoluteDifference: z.number().nullable(),
  /** PSI of the shadow's predictions against the live ones (live as the reference). */
  predictionPsi: z.number().nullable(),
  latencyP50Ms: z.number().nullable(),
  latencyP99Ms: z.number().nullable(),
});
export type ShadowReport = z.infer<typeof shadowReportSchema>;

/** Reports kept per version in the registry: a day of hourly reports. */
export const MAX_SHADOW_REPORTS = 24;

/** CloudWatch metric names of the report (namespace METRICS_NAMESPACE, dimensions Model and ShadowVersion). */
export const SHADOW_METRICS = {
  agreementRate: 'ShadowAgreementRate',
  meanAbsoluteDifference: 'ShadowMeanAbsoluteDifference',
  predictionPsi: 'ShadowPredictionPsi',
  latencyP50Ms: 'ShadowLatencyP50',
  latencyP99Ms: 'ShadowLatencyP99',
  errors: 'ShadowErrors',
  rows: 'ShadowRows',
} as const;

/** Key prefix of a model's compared rows in the artifact store (the shadow function writes, the report reads). */
export const shadowModelPrefix = (model: string) => `shadow/${model}/`;

/** Key prefix of one shadow version's compared rows. */
export const shadowPrefix = (model: string, version: number) => `${shadowModelPrefix(model)}v${version}/`;

/** Key of the rows of one shadow batch: hour folders so the report reads only the window's objects. */
export function shadowObjectKey(model: string, version: number, at: Date, id: string): string {
  return `${shadowPrefix(model, version)}${hourFolder(at)}${id}.jsonl`;
}

/** `YYYY-MM-DDTHH/` of an instant (UTC). */
export const hourFolder = (at: Date) => `${at.toISOString().slice(0, 13)}/`;
