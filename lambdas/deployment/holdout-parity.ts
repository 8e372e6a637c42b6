import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { readAll } from '../../pipelines/common/s3-stream';
import { requireClasses, rowOf, type NumericTable, type TableSpec } from '../../pipelines/common/tabular';
import { metricsOf, predictTable } from '../../pipelines/evaluation/score';
import { readModelArchive } from '../inference/model-archive';
import { ModelSession, type ModelOutput } from '../inference/model-session';
import { sha256Hex } from '../inference/model-store';
import { positiveProbability } from '../inference/predict';
import type { ModelRegistry } from '../registry/registry';
import { NO_CAPTURE_HEADER } from '../../contracts/capture-opt-out';
import type { ModelMetadata } from '../../contracts/model-metadata';
import { HoldoutParityError } from './errors';
import { holdoutBatches } from './holdout-batches';
import type { InferenceFunction } from './inference-function';
import type { HoldoutCheckInput } from './schemas';

/** Rows per invocation: far below the 6 MB payload limit for hundreds of features. */
export const HOLDOUT_BATCH_ROWS = 500;
/** Invocations in flight at once. */
const CONCURRENCY = 4;
export { NO_CAPTURE_HEADER } from '../../contracts/capture-opt-out';

export interface HoldoutParityDeps {
  registry: ModelRegistry;
  /** Only `invoke` is used: the version under test is called directly, never through the alias. */
  inference: Pick<InferenceFunction, 'invoke'>;
  /** An object's bytes as they arrive (the holdout set is streamed, never held whole). */
  openObject: (s3Uri: string) => Promise<AsyncIterable<Uint8Array>>;
  /** Largest accepted |deployed - evaluation| of the metric and of every probability (or predicted value). */
  tolerance: number;
}

export interface HoldoutParityResult {
  /** From the version's metadata.json, not guessed from the metric. */
  task: ModelMetadata['task'];
  metric: string;
  recorded: number;
  observed: number;
  difference: number;
  /** Largest |deployed - evaluation session| over every row's probabilities (every class) or predicted value. */
  maxProbabilityDifference: number;
  tolerance: number;
  rows: number;
}

/** One prediction as lambdas/inference/predict.ts answers it (docs/inference-api.md). */
const predictionSchema = z.union([
  z.number().nullable(),
  z.object({ label: z.union([z.string(), z.number()]), probabilities: z.array(z.number().nullable()) }),
]);
const inferenceResponseSchema = z.object({
  predictions: z.array(predictionSchema),
  modelVersion: z.coerce.number(),
});
type ServedPrediction = z.infer<typeof predictionSchema>;

/**
 * Holdout parity: the deployed function version predicts the version's holdout set through the same request
 * path as production, and must answer what the evaluation computed: every probability of every row (every class of
 * a multiclass model; the value of a regressor) equal to the model's own run in the evaluation's session wrapper
 * within the tolerance, and the primary metric, recomputed with the evaluation's metric code, as recorded. The
 * task, labels and features come from the version's own metadata.json (its archive, verified against the
 * registry's SHA-256). This catches a wrong artifact, a feature-order or preprocessing mismatch, or a runtime that
 * computes differently, before any traffic moves.
 */
export async function checkHoldoutParity(deps: HoldoutParityDeps, input: HoldoutCheckInput): Promise<HoldoutParityResult> {
  const version = await deps.registry.getVersion(input.model, input.version);
  const { primaryMetric: metric, holdoutUri } = version;
  const where = `${input.model} v${input.version}`;
  if (!holdoutUri) throw new HoldoutParityError(`${where} has no holdout set recorded (holdoutUri); parity cannot be verified`);
  if (!metric) throw new HoldoutParityError(`${where} has no primary metric recorded; parity cannot be verified`);
  const recorded = version.metrics.holdout?.[metric];
  if (recorded === undefined) throw new HoldoutParityError(`${where} has no holdout value of ${metric} recorded`);

  const archive = await readAll(await deps.openObject(version.artifactUri));
  if (sha256Hex(archive) !== version.artifactSha256) {
    throw new HoldoutParityError(`${where}: artifact ${version.artifactUri} does not match the SHA-256 the registry recorded`);
  }
  const artifact = readModelArchive(archive, version.artifactUri);
  const { task } = artifact.metadata;
  const onFunction = `${where} on function version ${input.functionVersion}`;
  const session = await ModelSession.create(artifact);
  let answers: HoldoutAnswers;
  try {
    answers = await answerHoldout(deps, input, session, artifact.metadata, holdoutUri, onFunction);
  } finally {
    await session.release();
  }
  const { labels, reference, deployed } = answers;
  const maxProbabilityDifference = compareMatrices(deployed, reference, artifact.metadata, deps.tolerance, onFunction);

  const observed = metricsOf(task, labels, deployed)[metric];
  if (observed === undefined) throw new HoldoutParityError(`${metric} is not a ${task} metric`);
  const difference = Math.abs(observed - recorded);
  const result = { task, metric, recorded, observed, difference, maxProbabilityDifference, tolerance: deps.tolerance, rows: labels.length };
  if (!(difference <= deps.tolerance)) {
    throw new HoldoutParityError(
      `${onFunction}: holdout ${metric} is ${observed}, evaluation recorded ${recorded}; difference ${difference} exceeds the tolerance ${deps.tolerance}`,
    );
  }
  return result;
}

/**
 * The evaluation session's answer in the response's columns: [p0, p1] of a binary classifier (p0 = 1 - p1 for a
 * sigmoid output, as the response computes it), every class of a multiclass one, a regressor's value.
 */
function referenceMatrix(task: ModelMetadata['task'], output: ModelOutput, rows: number): ModelOutput {
  if (task !== 'binary-classification') return output;
  const data = new Float64Array(2 * rows);
  for (let r = 0; r < rows; r++) {
    const p1 = positiveProbability(output, r);
    data[2 * r] = output.columns === 2 ? output.data[2 * r] : 1 - p1;
    data[2 * r + 1] = p1;
  }
  return { data, columns: 2 };
}

/**
 * The deployed answers to the batch starting at data row `offset` as a matrix of the same columns; null (a non-finite
 * value) is NaN, which matches nothing.
 */
function deployedMatrix(served: ServedPrediction[], columns: number, where: string, offset: number): ModelOutput {
  const data = new Float64Array(served.length * columns);
  served.forEach((prediction, r) => {
    const values = prediction === null || typeof prediction === 'number' ? [prediction] : prediction.probabilities;
    if (values.length !== columns) {
      throw new HoldoutParityError(`${where}: holdout row ${offset + r + 1} was answered with ${values.length} values, the model has ${columns}`);
    }
    values.forEach((value, c) => (data[r * columns + c] = value ?? Number.NaN));
  });
  return { data, columns };
}

/** The largest difference; throws naming the first row and class beyond the tolerance. */
function compareMatrices(deployed: ModelOutput, reference: ModelOutput, metadata: ModelMetadata, tolerance: number, where: string): number {
  let largest = 0;
  for (let k = 0; k < reference.data.length; k++) {
    const difference = Math.abs(deployed.data[k] - reference.data[k]);
    if (!(difference <= tolerance)) {
      const row = Math.floor(k / reference.columns) + 1;
      const column = k % reference.columns;
      const what = metadata.task === 'regression' ? 'predicted value' : `probability of class ${JSON.stringify((metadata.labels ?? [0, 1])[column])}`;
      throw new HoldoutParityError(
        `${where}: holdout row ${row}, ${what}: deployed ${deployed.data[k]}, evaluation session ${reference.data[k]}; difference exceeds the tolerance ${tolerance}`,
      );
    }
    largest = Math.max(largest, difference);
  }
  return largest;
}

/** Labels, the evaluation session's answers and the deployed version's (in response columns) of holdout rows. */
interface HoldoutAnswers {
  labels: Float64Array;
  reference: ModelOutput;
  deployed: ModelOutput;
}

/**
 * Streams the holdout set (features in model order, the label last; class indices for multiclass) batch by batch,
 * CONCURRENCY batches in flight, and has each batch answered by the evaluation session and by the deployed version.
 * What is kept is what the metric needs: the labels and both answers of every row, never the file or its features.
 * The first failure stops the reading; the batches in flight finish, and the object's stream is closed.
 */
async function answerHoldout(
  deps: HoldoutParityDeps,
  input: HoldoutCheckInput,
  session: ModelSession,
  metadata: ModelMetadata,
  holdoutUri: string,
  where: string,
): Promise<HoldoutAnswers> {
  let spec: TableSpec | undefined;
  const batches = holdoutBatches(holdoutUri, await deps.openObject(holdoutUri), metadata, HOLDOUT_BATCH_ROWS, (s) => (spec = s));
  const answered: HoldoutAnswers[] = [];
  let stop = false;
  const worker = async () => {
    try {
      while (!stop) {
        const next = await batches.next();
        if (next.done) return;
        const { index, offset, table } = next.value;
        const [evaluation, served] = await Promise.all([predictTable(session, table), predictBatch(deps.inference, input, rowsOf(table))]);
        const reference = referenceMatrix(metadata.task, evaluation, table.rowCount);
        answered[index] = { labels: table.labels, reference, deployed: deployedMatrix(served, reference.columns, where, offset) };
      }
    } catch (err) {
      stop = true;
      throw err;
    }
  };
  try {
    const settled = await Promise.allSettled(Array.from({ length: CONCURRENCY }, worker));
    const failed = settled.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    await batches.return(undefined);
  }
  const labels = concatenated(answered.map((batch) => batch.labels));
  requireClasses(labels, spec!, holdoutUri);
  const columns = answered[0].reference.columns;
  return {
    labels,
    reference: { data: concatenated(answered.map((batch) => batch.reference.data)), columns },
    deployed: { data: concatenated(answered.map((batch) => batch.deployed.data)), columns },
  };
}

/** The rows of a batch as the request's `instances`. */
const rowsOf = (table: NumericTable): number[][] => Array.from({ length: table.rowCount }, (_, r) => rowOf(table, r));

function concatenated(parts: readonly ArrayLike<number>[]): Float64Array {
  const all = new Float64Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

async function predictBatch(inference: HoldoutParityDeps['inference'], input: HoldoutCheckInput, instances: number[][]): Promise<ServedPrediction[]> {
  const raw = await inference.invoke(input.functionVersion, functionUrlEvent({ instances }));
  // A function URL handler answers {statusCode, body} or, equally valid, the body object itself.
  const envelope = z.object({ statusCode: z.number(), body: z.string().optional() }).safeParse(raw);
  let body: unknown = raw;
  if (envelope.success) {
    if (envelope.data.statusCode !== 200) {
      throw new HoldoutParityError(`inference answered ${envelope.data.statusCode}: ${envelope.data.body ?? ''}`.slice(0, 1000));
    }
    body = JSON.parse(envelope.data.body ?? 'null');
  }
  const parsed = inferenceResponseSchema.safeParse(body);
  if (!parsed.success) throw new HoldoutParityError(`unexpected inference response: ${parsed.error.issues[0].message}`);
  if (parsed.data.modelVersion !== input.version) {
    throw new HoldoutParityError(`function version ${input.functionVersion} serves model v${parsed.data.modelVersion}, not v${input.version}`);
  }
  if (parsed.data.predictions.length !== instances.length) {
    throw new HoldoutParityError(`inference returned ${parsed.data.predictions.length} predictions for ${instances.length} rows`);
  }
  return parsed.data.predictions;
}

/** A Lambda function URL (payload 2.0) request for `POST /invocations`, as production callers send it. */
export function functionUrlEvent(body: unknown) {
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/invocations',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', [NO_CAPTURE_HEADER]: 'off' },
    requestContext: {
      http: { method: 'POST', path: '/invocations', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'mlops-holdout-check' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}
