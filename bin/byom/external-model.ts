import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import * as ort from 'onnxruntime-node';
import { z } from 'zod';
import { featureSchema, formatIssues, MAX_CLASSES, MODEL_TASKS } from '../../contracts/team-config';
import { computeBaseline, targetBaseline, type BaselineArtifacts } from '../../lambdas/drift/baseline';
import { writeBaseline } from '../../lambdas/drift/baseline-objects';
import { modelMetadataSchema, type ModelMetadata } from '../../contracts/model-metadata';
import { byomArtifactKey, byomBaselineKey, byomHoldoutKey, s3Uri } from '../../contracts/storage-layout';
import { formatCsv, parseCsvText } from '../../pipelines/common/csv';
import { nonIdentifierColumnsMessage } from '../../pipelines/common/column-names';
import { packModelArchive } from '../../pipelines/common/model-archive';
import { putObject } from '../../pipelines/common/s3';
import { columnOf, DataValidationError, rowOf, type NumericTable } from '../../pipelines/common/tabular';
import type { Metrics } from '../../pipelines/evaluation/metrics';
import { readLabelledCsv, scoreTable } from '../../pipelines/evaluation/score';
import { ModelContractError } from '../../lambdas/inference/errors';
import { ModelSession } from '../../lambdas/inference/model-session';
import { sha256Hex } from '../../lambdas/inference/model-store';
import { exposeZipMapInput, OnnxParseError, parseOnnxModel, type ZipMapOutput, zipMapOutputs } from './zipmap-rewrite';

/**
 * Bring your own model: package an ONNX model trained elsewhere for the registry. The model must load in
 * onnxruntime-node with one 2-D float input as wide as the feature list; it is scored on the given holdout
 * set, and refused when a declared metric disagrees with the measured one by more than the tolerance — the
 * registry records measured numbers, and the deployment's holdout parity check relies on them.
 *
 * A classifier whose probabilities come out of a ZipMap (skl2onnx's default) is registered rewritten to return
 * the ZipMap's input tensor (zipmap-rewrite.ts); metadata.json records the change and the given file's SHA-256.
 * A multiclass holdout's label column holds the class labels as written (like the team's raw data); the stored
 * holdout set holds class indices, as the processing job writes its splits.
 */

/** What `mlops models register --onnx` is given: the ONNX file, the labelled holdout set and the model's description. */
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
    /**
     * The probabilities (classification) or values (regression) tensor; a ZipMap output stands for its input.
     * @default the model's only float tensor output, among several the one named "probabilities", or with none the
     * input of the model's ZipMap output (skl2onnx's default classifiers)
     */
    outputName: z.string().min(1).optional(),
    /**
     * Class labels in the order of the probability columns: [negative, positive] of a binary classifier (@default
     * [0, 1]); every class of a multiclass one (required, 3 or more).
     */
    labels: z.array(z.union([z.string(), z.number()])).min(2).max(MAX_CLASSES).optional(),
    algorithm: z.string().min(1).default('external'),
    framework: z.string().min(1).default('external'),
  })
  .strict()
  .superRefine((r, ctx) => {
    const problem = labelsProblem(r.task, r.labels);
    if (problem) ctx.addIssue({ code: 'custom', path: ['labels'], message: problem });
  });

function labelsProblem(task: (typeof MODEL_TASKS)[number], labels: readonly (string | number)[] | undefined): string | undefined {
  if (task === 'regression') return labels === undefined ? undefined : 'class labels apply to classifiers only';
  if (task === 'binary-classification') return labels === undefined || labels.length === 2 ? undefined : 'a binary classifier has exactly two class labels';
  if (labels === undefined || labels.length < 3) {
    return 'a multiclass classifier needs its 3 or more class labels, in the order of its probability columns';
  }
  const seen = new Set<string>();
  const repeated = labels.find((label) => seen.size === seen.add(String(label)).size);
  return repeated === undefined ? undefined : `class label "${repeated}" is listed twice`;
}
/** A registration request as the CLI passes it (before defaults). */
export type ByomRequest = z.input<typeof byomRequestSchema>;
/** A field of the request, which an input error names. */
export type ByomField = keyof ByomRequest;

/** Why a model is refused registration: the base of ByomInputError and MetricsDisagreementError. */
class ByomError extends Error {
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
class MetricsDisagreementError extends ByomError {}

/** Reports each finished step (validate, evaluate) with a one-line summary. */
export type ByomProgress = (step: 'validate' | 'evaluate', summary: string) => void;

/** A validated and measured model, packaged for the registry. */
export interface ByomPackage {
  /** model.tar.gz with model.onnx + metadata.json, ready to upload. */
  tarball: Buffer;
  sha256: string;
  metadata: ModelMetadata;
  /** Measured holdout metrics. */
  metrics: Metrics;
  /** The holdout set as the processing job writes it: header, features in model order, label last (a class index for multiclass). */
  holdoutCsv: string;
  holdoutRows: number;
  /**
   * Drift baseline of the holdout set's features and, for a classifier, its class mix: the only data of the model the
   * platform sees. baseline.json's document and its numeric features' sorted values.
   */
  baseline: BaselineArtifacts;
}

export async function packageExternalModel(raw: ByomRequest, progress: ByomProgress = () => {}): Promise<ByomPackage> {
  const parsed = byomRequestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ByomInputError(parsed.error.issues[0].path[0] as ByomField, `invalid model registration: ${formatIssues(parsed.error).join('; ')}`);
  }
  const request = parsed.data;
  const given = readInput('onnxFile', request.onnxFile);
  const holdoutText = readInput('holdoutFile', request.holdoutFile).toString('utf8');
  const signature = await inspectModel(request.onnxFile, given);
  const header = parseCsvText(holdoutText).header;
  if (header.length === 0) throw new ByomInputError('holdoutFile', `${request.holdoutFile} is empty; expected a header row and data rows`);
  // readLabelledCsv's rule: the label is the last column unless named.
  const label = request.label ?? header.at(-1) ?? '';
  const features = request.features ?? featuresFromHeader(request.holdoutFile, header, label);
  const inputName = request.inputName ?? onlyOne('inputName', 'input', signature.inputs.map((i) => i.name));
  const { outputName, zipMap } = chooseOutput(request.outputName, signature, zipMapsOf(request.onnxFile, given));
  if (zipMap) checkZipMapLabels(zipMap, request.labels);
  const onnx = zipMap ? rewriteZipMap(given, zipMap) : given;
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
    ...(request.task === 'regression' ? {} : { labels: request.labels ?? [0, 1] }),
    outputName,
    algorithm: request.algorithm,
    framework: request.framework,
    ...(zipMap
      ? { rewrite: { change: `ZipMap output "${zipMap.output}" replaced by its input tensor "${zipMap.probabilities}"`, originalSha256: sha256Hex(given) } }
      : {}),
  });

  const predictor = await ModelSession.create({ onnx, metadata }).catch(asInputError('onnxFile'));
  let holdout: NumericTable;
  let metrics: Metrics;
  try {
    const rewritten = metadata.rewrite ? ` (${metadata.rewrite.change})` : '';
    progress('validate', `${request.onnxFile} loads in onnxruntime: input "${inputName}" [batch, ${features.length}] -> output "${outputName}"${rewritten}`);
    try {
      holdout = readLabelledCsv(request.holdoutFile, holdoutText, metadata, label, 'class-label');
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
    baseline: holdoutBaseline(holdout, metadata, label),
  };
}

/** Drift baseline of the holdout set: its features and, for a classifier, its label's class mix. */
function holdoutBaseline(holdout: NumericTable, metadata: ModelMetadata, label: string): BaselineArtifacts {
  const features = computeBaseline(metadata.features.map((f, c) => ({ name: f.name, type: f.type, values: columnOf(holdout, c) })));
  if (metadata.task === 'regression') return features;
  // Keys as the processing job writes them: the classes of a multiclass model, 0 and 1 of a binary one.
  const classes = metadata.task === 'multiclass-classification' ? (metadata.labels ?? []) : [0, 1];
  return { ...features, document: { ...features.document, target: targetBaseline(label, holdout.labels, classes) } };
}

/** Where the packaged model, its holdout set and its baseline were uploaded in the artifact store. */
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
  await writeBaseline((key, body, contentType) => putObject(s3, bucket, key, body, contentType), keys.baseline, pkg.baseline);
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
  outputs: readonly ort.InferenceSession.ValueMetadata[];
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
    return { inputs: session.inputMetadata, outputs: session.outputMetadata };
  } finally {
    await session.release();
  }
}

function onlyOne(field: ByomField, what: string, names: readonly string[]): string {
  if (names.length !== 1) throw new ByomInputError(field, `the model has ${names.length} ${what}s (${names.join(', ')}); name the one to use`);
  return names[0];
}

function zipMapsOf(file: string, onnx: Uint8Array): ZipMapOutput[] {
  try {
    return zipMapOutputs(parseOnnxModel(onnx));
  } catch (err) {
    throw new ByomInputError('onnxFile', `${file}: ${(err as Error).message}`, { cause: err });
  }
}

const FLOAT_TYPES = new Set(['float32', 'float64']);

/**
 * The output to serve, and the ZipMap to rewrite when it is one's (see byomRequestSchema's outputName). A named
 * output that is not in the graph is left to the session's check, which lists the graph's outputs.
 */
function chooseOutput(named: string | undefined, signature: ModelSignature, zipMaps: ZipMapOutput[]): { outputName: string; zipMap?: ZipMapOutput } {
  if (named !== undefined) {
    const zipMap = zipMaps.find((z) => z.output === named);
    return zipMap ? { outputName: zipMap.probabilities, zipMap } : { outputName: named };
  }
  const tensors = signature.outputs.filter((o) => o.isTensor && FLOAT_TYPES.has(o.type)).map((o) => o.name);
  if (tensors.length > 1 && tensors.includes('probabilities')) return { outputName: 'probabilities' };
  if (tensors.length === 0 && zipMaps.length === 1) return { outputName: zipMaps[0].probabilities, zipMap: zipMaps[0] };
  const all = signature.outputs.map((o) => o.name);
  if (tensors.length === 0) throw new ByomInputError('outputName', `the model has no float tensor output (outputs: ${all.join(', ')}); name the one to use`);
  return { outputName: onlyOne('outputName', 'float tensor output', tensors) };
}

/** The ZipMap names its columns: labels that list the same classes in another order would swap probabilities. */
function checkZipMapLabels(zipMap: ZipMapOutput, labels: readonly (string | number)[] | undefined): void {
  if (!labels) return;
  const named = zipMap.classLabels.map(String);
  const given = labels.map(String);
  const sameClasses = named.length === given.length && [...named].sort().join('\u0000') === [...given].sort().join('\u0000');
  if (sameClasses && named.join('\u0000') !== given.join('\u0000')) {
    throw new ByomInputError('labels', `the model's ZipMap orders its probability columns ${named.join(', ')}; the labels list them as ${given.join(', ')}`);
  }
}

function rewriteZipMap(onnx: Uint8Array, zipMap: ZipMapOutput): Buffer {
  try {
    return Buffer.from(exposeZipMapInput(onnx, zipMap));
  } catch (err) {
    if (err instanceof OnnxParseError) throw new ByomInputError('onnxFile', err.message, { cause: err });
    throw err;
  }
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
