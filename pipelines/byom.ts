import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import * as ort from 'onnxruntime-node';
import { z } from 'zod';
import { featureSchema, formatIssues, MODEL_TASKS } from '../lib/team-config';
import { computeBaseline } from '../lambdas/drift/baseline';
import type { Baseline } from '../lambdas/shared/baseline';
import { modelMetadataSchema, type ModelMetadata } from '../lambdas/shared/model-metadata';
import { byomArtifactKey, byomBaselineKey, byomHoldoutKey, s3Uri } from '../lambdas/shared/storage-layout';
import { formatCsv, parseCsvText } from './common/csv';
import { nonIdentifierColumnsMessage } from './common/column-names';
import { packModelArchive } from './common/model-archive';
import { putObject } from './common/s3';
import { columnOf, DataValidationError, rowOf, type NumericTable } from './common/tabular';
import type { Metrics } from './evaluation/metrics';
import { readLabelledCsv, scoreTable } from './evaluation/score';
import { ModelContractError } from '../lambdas/inference/errors';
import { ModelSession } from '../lambdas/inference/model-session';

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
    /** Feature columns in the order the model takes them. @default the holdout's columns except the label, all numeric */
    features: z.array(featureSchema).min(1).optional(),
    /** Label column of the holdout CSV. @default its last column */
    label: z.string().min(1).optional(),
    /** Metrics the model's owner reports on this holdout set, e.g. { "auc": 0.91 }. */
    declaredMetrics: z.record(z.string(), z.number()).refine((m) => Object.keys(m).length > 0, 'declare at least one metric'),
    /** Largest accepted |declared - measured|. */
    tolerance: z.number().min(0).default(0.001),
    /** @default the model's only input */
    inputName: z.string().min(1).optional(),
    /** @default the model's only output, or among several the one named "probabilities" (skl2onnx's classifiers) */
    outputName: z.string().min(1).optional(),
    /** Class labels in the order of the probability columns (classification only). @default [0, 1] */
    labels: z.array(z.union([z.string(), z.number()])).length(2, 'a binary classifier has exactly two class labels').optional(),
    algorithm: z.string().min(1).default('external'),
    framework: z.string().min(1).default('external'),
  })
  .strict()
  .refine((r) => r.labels === undefined || r.task === 'binary-classification', {
    message: 'class labels apply to binary-classification only',
    path: ['labels'],
  });
export type ByomRequest = z.input<typeof byomRequestSchema>;
export type ByomField = keyof ByomRequest;

export class ByomError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The request cannot be packaged as given: `field` names the request field (or its file) at fault. */
export class ByomInputError extends ByomError {
  constructor(
    readonly field: ByomField,
    message: string,
    options?: { cause?: unknown },
  ) {
    // One line: onnxruntime's messages may span several.
    super(message.replace(/\s*\n\s*/g, ' '), options);
  }
}

/** The model runs, but the holdout set does not reproduce the metrics its owner declared. */
export class MetricsDisagreementError extends ByomError {}

/** Reports each finished step (validate, evaluate) with a one-line summary. */
export type ByomProgress = (step: 'validate' | 'evaluate', summary: string) => void;

export interface ByomPackage {
  /** model.tar.gz with model.onnx + metadata.json, ready to upload. */
  tarball: Buffer;
  sha256: string;
  metadata: ModelMetadata;
  /** Measured holdout metrics. */
  metrics: Metrics;
  /** The holdout set as the processing job writes it: header, features in model order, label last. */
  holdoutCsv: string;
  holdoutRows: number;
  /** Drift baseline of the features on the holdout set: the only data of the model the platform sees. */
  baseline: Baseline;
}

export async function packageExternalModel(raw: ByomRequest, progress: ByomProgress = () => {}): Promise<ByomPackage> {
  const parsed = byomRequestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ByomInputError(parsed.error.issues[0].path[0] as ByomField, `invalid model registration: ${formatIssues(parsed.error).join('; ')}`);
  }
  const request = parsed.data;
  const onnx = readInput('onnxFile', request.onnxFile);
  const holdoutText = readInput('holdoutFile', request.holdoutFile).toString('utf8');
  const signature = await inspectModel(request.onnxFile, onnx);
  const header = parseCsvText(holdoutText).header;
  if (header.length === 0) throw new ByomInputError('holdoutFile', `${request.holdoutFile} is empty; expected a header row and data rows`);
  // readLabelledCsv's rule: the label is the last column unless named.
  const label = request.label ?? header.at(-1) ?? '';
  const features = request.features ?? featuresFromHeader(request.holdoutFile, header, label);
  const inputName = request.inputName ?? onlyOne('inputName', 'input', signature.inputs.map((i) => i.name));
  const outputName = request.outputName ?? defaultOutput(signature.outputs);
  const input = signature.inputs.find((i) => i.name === inputName);
  const width = input?.isTensor ? input.shape[1] : undefined;
  if (typeof width === 'number' && width !== features.length) {
    const names = features.map((f) => f.name).join(', ');
    throw new ByomInputError('features', `input "${inputName}" takes ${width} features, metadata lists ${features.length}: ${names}`);
  }
  const metadata: ModelMetadata = modelMetadataSchema.parse({
    inputName,
    features,
    task: request.task,
    ...(request.task === 'binary-classification' ? { labels: request.labels ?? [0, 1] } : {}),
    outputName,
    algorithm: request.algorithm,
    framework: request.framework,
  });

  const predictor = await ModelSession.create({ onnx, metadata }).catch(asInputError('onnxFile'));
  let holdout: NumericTable;
  let metrics: Metrics;
  try {
    progress('validate', `${request.onnxFile} loads in onnxruntime: input "${inputName}" [batch, ${features.length}] -> output "${outputName}"`);
    try {
      holdout = readLabelledCsv(request.holdoutFile, holdoutText, metadata, label);
    } catch (err) {
      throw err instanceof DataValidationError ? new ByomInputError('holdoutFile', err.message, { cause: err }) : err;
    }
    metrics = await scoreTable(predictor, holdout, metadata.task).catch(asInputError('outputName'));
  } finally {
    await predictor.release();
  }
  const measured = Object.entries(metrics).map(([name, value]) => `${name}=${round(value)}`).join(' ');
  progress('evaluate', `${holdout.rowCount} holdout rows: ${measured}`);

  const disagreements = Object.entries(request.declaredMetrics).flatMap(([name, declared]) => {
    const value = metrics[name];
    if (value === undefined) return [`"${name}" is not a ${request.task} metric (measured: ${Object.keys(metrics).join(', ')})`];
    return Math.abs(value - declared) > request.tolerance ? [`${name}: declared ${declared}, measured ${value.toFixed(6)} on the holdout set`] : [];
  });
  if (disagreements.length > 0) {
    throw new MetricsDisagreementError(`declared metrics disagree beyond the tolerance ${request.tolerance}: ${disagreements.join('; ')}`);
  }

  const withMetrics: ModelMetadata = { ...metadata, metrics: { holdout: metrics } };
  const tarball = await packModelArchive(onnx, withMetrics);
  return {
    tarball,
    sha256: createHash('sha256').update(tarball).digest('hex'),
    metadata: withMetrics,
    metrics,
    holdoutCsv: formatCsv(
      [...features.map((f) => f.name), label],
      Array.from({ length: holdout.rowCount }, (_, i) => [...rowOf(holdout, i), holdout.labels[i]]),
    ),
    holdoutRows: holdout.rowCount,
    baseline: computeBaseline(features.map((f, c) => ({ name: f.name, type: f.type, values: columnOf(holdout, c) }))),
  };
}

export interface UploadedModel {
  artifactUri: string;
  holdoutUri: string;
  baselineUri: string;
}

/**
 * Writes a package to the artifact store under `byom/<model>/<sha256>/`. Keys depend only on the archive's
 * content, so uploading the same package again rewrites identical objects.
 */
export async function uploadExternalModel(s3: S3Client, bucket: string, model: string, pkg: ByomPackage): Promise<UploadedModel> {
  const keys = { artifact: byomArtifactKey(model, pkg.sha256), holdout: byomHoldoutKey(model, pkg.sha256), baseline: byomBaselineKey(model, pkg.sha256) };
  await putObject(s3, bucket, keys.holdout, pkg.holdoutCsv, 'text/csv');
  await putObject(s3, bucket, keys.baseline, JSON.stringify(pkg.baseline), 'application/json');
  // The archive last: an artifact URI in the bucket implies its holdout set and baseline are there too.
  await putObject(s3, bucket, keys.artifact, pkg.tarball, 'application/gzip');
  return { artifactUri: s3Uri(bucket, keys.artifact), holdoutUri: s3Uri(bucket, keys.holdout), baselineUri: s3Uri(bucket, keys.baseline) };
}

function readInput(field: ByomField, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ByomInputError(field, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

interface ModelSignature {
  inputs: readonly ort.InferenceSession.ValueMetadata[];
  outputs: readonly string[];
}

/** Input and output names and shapes, read once so the defaults and the width check can name what the model has. */
async function inspectModel(file: string, onnx: Uint8Array): Promise<ModelSignature> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(onnx);
  } catch (err) {
    throw new ByomInputError('onnxFile', `onnxruntime cannot load the model ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return { inputs: session.inputMetadata, outputs: session.outputNames };
  } finally {
    await session.release();
  }
}

function onlyOne(field: ByomField, what: string, names: readonly string[]): string {
  if (names.length !== 1) throw new ByomInputError(field, `the model has ${names.length} ${what}s (${names.join(', ')}); name the one to use`);
  return names[0];
}

function defaultOutput(outputs: readonly string[]): string {
  return outputs.length > 1 && outputs.includes('probabilities') ? 'probabilities' : onlyOne('outputName', 'output', outputs);
}

function featuresFromHeader(file: string, header: readonly string[], label: string) {
  const names = header.filter((name) => name !== label);
  if (names.length === 0) throw new ByomInputError('holdoutFile', `${file} has no feature columns besides the label "${label}"`);
  const renames = nonIdentifierColumnsMessage(file, names);
  if (renames) throw new ByomInputError('holdoutFile', renames);
  const features = z.array(featureSchema).safeParse(names.map((name) => ({ name, type: 'numeric' })));
  if (!features.success) throw new ByomInputError('holdoutFile', `${file}: columns as features: ${formatIssues(features.error).join('; ')}`);
  return features.data;
}

function asInputError(field: ByomField) {
  return (err: unknown): never => {
    throw err instanceof ModelContractError ? new ByomInputError(field, err.message, { cause: err }) : err;
  };
}

const round = (value: number) => String(Number(value.toFixed(6)));
