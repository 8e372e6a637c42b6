/**
 * Ground truth: the labels that arrive later for prediction ids (contracts/prediction-id.ts), and where labels and
 * quality reports live.
 * Producers: the inference tier (prediction ids in its response and capture records, lambdas/inference/, made by
 * contracts/prediction-id.ts), the approval API's feedback route (lambdas/registry/api.ts writes label objects), teams
 * dropping label files under the labels prefix, the quality job (reports, labelled training rows; lambdas/quality/).
 * Consumers: the quality job (joins labels to captured predictions by id), ModelQuality (lib/model-quality.ts, grants
 * and metric names), the dashboard (lib/mlops-dashboard.ts), docs/inference-api.md and docs/model-quality.md.
 */
// A namespace import lets esbuild keep only the parts of zod used; `import { z }` bundles all of it (its 40 locales too).
import * as z from 'zod';

/** Most labels in one feedback request (the API's body limit is the binding one for long ids). */
const MAX_FEEDBACK_LABELS = 10_000;

/**
 * One label: the true outcome of a prediction. A class label as the model's labels write it (classification), or the
 * observed value (regression).
 */
export const groundTruthLabelSchema = z.strictObject({
  predictionId: z.string().min(1, 'expected a prediction id as the inference response returned it').max(256),
  label: z.union([z.string().min(1), z.number().refine(Number.isFinite, 'expected a finite number')], {
    error: 'expected the true class label (a string or number) or the observed value (a number)',
  }),
});

/** `POST /models/{model}/labels` (and the IAM route): `{"labels": [{"predictionId": "...", "label": ...}, ...]}`. */
export const feedbackBodySchema = z.strictObject({
  labels: z.array(groundTruthLabelSchema).min(1, 'expected at least one label').max(MAX_FEEDBACK_LABELS, `at most ${MAX_FEEDBACK_LABELS} labels per request`),
});
export type FeedbackBody = z.infer<typeof feedbackBodySchema>;

/** The feedback route's answer (200): the labels are stored; the next quality run joins them. */
export interface FeedbackAcceptedView {
  model: string;
  accepted: number;
  /** Where they were stored (one JSON lines object per request). */
  objectKey: string;
}

/**
 * Labels of a model: JSON lines of {@link GroundTruthLabel} (`.jsonl`) under this prefix, from the feedback route
 * (under `feedback/`) or dropped by a team's own job (anywhere else under it).
 */
export const labelsPrefix = (model: string) => `labels/${model}/`;
export const feedbackLabelsKey = (model: string, at: Date, requestId: string) =>
  `${labelsPrefix(model)}feedback/${at.toISOString().slice(0, 10)}/${at.toISOString()}-${requestId}.jsonl`;

/** Reports of the quality job, one JSON file per run, named by its time. */
export const qualityReportsPrefix = (model: string) => `quality-reports/${model}/`;
export const qualityReportKey = (model: string, at: Date) => `${qualityReportsPrefix(model)}${at.toISOString()}.json`;

/**
 * Labelled production rows the quality job adds to the training data, one CSV per label object (features in model
 * order, the label column last, as the raw dataset has them): `<dataset prefix>production-labels/<the label object's
 * key below labels/<model>/, .csv for .jsonl>`, written once, and a lineage record beside it (`.lineage.json`, which the
 * processing job skips: it reads only .csv and .parquet).
 */
export const labelledRowsKey = (datasetPrefix: string, model: string, labelObjectKey: string) =>
  `${datasetPrefix}production-labels/${labelObjectKey.slice(labelsPrefix(model).length).replace(/\.jsonl$/, '')}.csv`;
export const labelledRowsLineageKey = (csvKey: string) => csvKey.replace(/\.csv$/, '.lineage.json');

/** The metrics the quality job publishes (namespace of the team, dimensions Model and ModelVersion). */
export const QUALITY_METRIC_NAMES = {
  auc: 'QualityAuc',
  accuracy: 'QualityAccuracy',
  logLoss: 'QualityLogLoss',
  rmse: 'QualityRmse',
  mae: 'QualityMae',
  labelledPredictions: 'LabelledPredictions',
  unmatchedLabels: 'UnmatchedLabels',
  unusableLabels: 'UnusableLabels',
} as const;

/** The quality measures a task has. */
export const QUALITY_MEASURES = {
  'binary-classification': ['auc', 'accuracy', 'logLoss'],
  'multiclass-classification': ['accuracy', 'logLoss'],
  regression: ['rmse', 'mae'],
} as const;
/** A model quality measure: auc, accuracy and logLoss for classifiers, rmse and mae for regression. */
export type QualityMeasure = 'auc' | 'accuracy' | 'logLoss' | 'rmse' | 'mae';

/** One version's quality over the window: the quality job's report and metrics (measures the task and rows allow). */
export interface VersionQuality {
  modelVersion: number;
  labelled: number;
  auc?: number;
  accuracy?: number;
  logLoss?: number;
  rmse?: number;
  mae?: number;
}
