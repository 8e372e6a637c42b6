import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { featureSchema, formatIssues, MODEL_TASKS } from '../lib/team-config';
import { modelMetadataSchema, type ModelMetadata } from '../lambdas/shared/model-metadata';
import { packModelArchive } from './common/model-archive';
import type { Metrics } from './evaluation/metrics';
import { createOnnxPredictor } from './evaluation/onnx-predict';
import { readLabelledCsv, scoreTable } from './evaluation/score';

/**
 * Bring your own model: package an ONNX model trained elsewhere for the registry. The model must load in
 * onnxruntime-node with one 2-D float input as wide as the feature list; it is scored on the given holdout
 * set, and refused when a declared metric disagrees with the measured one by more than the tolerance — the
 * registry records measured numbers, and the deployment's holdout parity check relies on them.
 */

export const byomRequestSchema = z
  .object({
    onnxFile: z.string().min(1),
    holdoutFile: z.string().min(1),
    task: z.enum(MODEL_TASKS),
    features: z.array(featureSchema).min(1),
    /** Label column of the holdout CSV. @default its last column */
    label: z.string().min(1).optional(),
    /** Metrics the model's owner reports on this holdout set, e.g. { "auc": 0.91 }. */
    declaredMetrics: z.record(z.string(), z.number()).refine((m) => Object.keys(m).length > 0, 'declare at least one metric'),
    /** Largest accepted |declared - measured|. */
    tolerance: z.number().min(0).default(0.001),
    inputName: z.string().min(1).optional(),
    outputName: z.string().min(1).default('probabilities'),
    labels: z.array(z.union([z.string(), z.number()])).optional(),
    algorithm: z.string().min(1).default('external'),
    framework: z.string().min(1).default('external'),
  })
  .strict();
export type ByomRequest = z.input<typeof byomRequestSchema>;

export class ByomError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ByomError';
  }
}

export interface ByomPackage {
  /** model.tar.gz with model.onnx + metadata.json, ready to upload. */
  tarball: Buffer;
  sha256: string;
  metadata: ModelMetadata;
  /** Measured holdout metrics. */
  metrics: Metrics;
}

export async function packageExternalModel(raw: ByomRequest): Promise<ByomPackage> {
  const parsed = byomRequestSchema.safeParse(raw);
  if (!parsed.success) throw new ByomError(`invalid model registration: ${formatIssues(parsed.error).join('; ')}`);
  const request = parsed.data;
  const onnx = readFileSync(request.onnxFile);
  const draft: ModelMetadata = modelMetadataSchema.parse({
    inputName: request.inputName ?? 'features',
    features: request.features,
    task: request.task,
    ...(request.task === 'binary-classification' ? { labels: request.labels ?? [0, 1] } : {}),
    outputName: request.outputName,
    algorithm: request.algorithm,
    framework: request.framework,
  });
  // Without a declared input name, take the model's only input: onnx files from other tools name it freely.
  const metadata = request.inputName ? draft : { ...draft, inputName: await onlyInputName(onnx) };
  const predictor = await createOnnxPredictor(onnx, metadata);
  let metrics: Metrics;
  try {
    const holdout = readLabelledCsv(request.holdoutFile, readFileSync(request.holdoutFile, 'utf8'), metadata, request.label);
    metrics = await scoreTable(predictor, holdout, metadata.task);
  } finally {
    await predictor.release();
  }
  const disagreements = Object.entries(request.declaredMetrics).flatMap(([name, declared]) => {
    const measured = metrics[name];
    if (measured === undefined) return [`"${name}" is not a ${request.task} metric (measured: ${Object.keys(metrics).join(', ')})`];
    return Math.abs(measured - declared) > request.tolerance
      ? [`${name}: declared ${declared}, measured ${measured.toFixed(6)} on the holdout set`]
      : [];
  });
  if (disagreements.length > 0) {
    throw new ByomError(`declared metrics disagree beyond the tolerance ${request.tolerance}: ${disagreements.join('; ')}`);
  }
  const withMetrics: ModelMetadata = { ...metadata, metrics: { holdout: metrics } };
  const tarball = await packModelArchive(onnx, withMetrics);
  return { tarball, sha256: createHash('sha256').update(tarball).digest('hex'), metadata: withMetrics, metrics };
}

async function onlyInputName(onnx: Uint8Array): Promise<string> {
  const { InferenceSession } = await import('onnxruntime-node');
  const session = await InferenceSession.create(onnx).catch((err: unknown) => {
    throw new ByomError(`onnxruntime cannot load the model: ${(err as Error).message}`, { cause: err });
  });
  try {
    if (session.inputNames.length !== 1) throw new ByomError(`the model must have exactly one input, has: ${session.inputNames.join(', ')}`);
    return session.inputNames[0];
  } finally {
    await session.release();
  }
}
