import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { REGRESSION_METRICS } from '../../lib/team-config';
import { parseCsvText } from '../../pipelines/common/csv';
import { type TableSpec, rowOf, toNumericTable } from '../../pipelines/common/tabular';
import { computeMetrics } from '../../pipelines/evaluation/metrics';
import type { ModelRegistry } from '../registry/registry';
import { NO_CAPTURE_HEADER } from '../shared/capture-opt-out';
import { HoldoutParityError } from './errors';
import type { InferenceFunction } from './inference-function';
import type { HoldoutCheckInput } from './schemas';

/** Rows per invocation: far below the 6 MB payload limit for hundreds of features. */
export const HOLDOUT_BATCH_ROWS = 500;
/** Invocations in flight at once. */
const CONCURRENCY = 4;
export { NO_CAPTURE_HEADER } from '../shared/capture-opt-out';

export interface HoldoutParityDeps {
  registry: ModelRegistry;
  /** Only `invoke` is used: the version under test is called directly, never through the alias. */
  inference: Pick<InferenceFunction, 'invoke'>;
  readObject: (s3Uri: string) => Promise<Uint8Array>;
  /** |metric(deployed) - metric(evaluation)| must not exceed this. */
  tolerance: number;
}

export interface HoldoutParityResult {
  metric: string;
  recorded: number;
  observed: number;
  difference: number;
  tolerance: number;
  rows: number;
}

/**
 * One prediction as lambdas/inference/predict.ts answers it: a regressor's number, or a classifier's
 * `{label, probabilities: [p0, p1]}`, scored by the positive-class probability like the evaluation does.
 */
const predictionSchema = z.union([
  z.number(),
  z.object({ probabilities: z.tuple([z.number(), z.number()]) }).transform((p) => p.probabilities[1]),
]);
const inferenceResponseSchema = z.object({
  predictions: z.array(predictionSchema),
  modelVersion: z.coerce.number(),
});

/**
 * Holdout parity: the deployed function version predicts the version's holdout set through the same request
 * path as production, and the evaluation's primary metric, recomputed with the evaluation's own metric code,
 * must come out as recorded. This catches a wrong artifact, a feature-order or preprocessing mismatch, or a
 * runtime that computes differently, before any traffic moves.
 */
export async function checkHoldoutParity(deps: HoldoutParityDeps, input: HoldoutCheckInput): Promise<HoldoutParityResult> {
  const version = await deps.registry.getVersion(input.model, input.version);
  const { primaryMetric: metric, holdoutUri } = version;
  const where = `${input.model} v${input.version}`;
  if (!holdoutUri) throw new HoldoutParityError(`${where} has no holdout set recorded (holdoutUri); parity cannot be verified`);
  if (!metric) throw new HoldoutParityError(`${where} has no primary metric recorded; parity cannot be verified`);
  const recorded = version.metrics.holdout?.[metric];
  if (recorded === undefined) throw new HoldoutParityError(`${where} has no holdout value of ${metric} recorded`);

  const { header, rows } = parseCsvText(new TextDecoder().decode(await deps.readObject(holdoutUri)));
  const task = (REGRESSION_METRICS as readonly string[]).includes(metric) ? 'regression' : 'binary-classification';
  // Holdout files carry the features in model order with the label last (docs/architecture.md).
  const spec: TableSpec = {
    task,
    features: header.slice(0, -1).map((name) => ({ name, type: 'numeric' as const })),
    label: header.at(-1) ?? '',
  };
  const table = toNumericTable([{ source: holdoutUri, header, rows }], spec);

  const batches: number[][][] = [];
  for (let start = 0; start < table.rowCount; start += HOLDOUT_BATCH_ROWS) {
    batches.push(Array.from({ length: Math.min(HOLDOUT_BATCH_ROWS, table.rowCount - start) }, (_, i) => rowOf(table, start + i)));
  }
  const predictions = new Float64Array(table.rowCount);
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const index = next++;
      const scores = await predictBatch(deps.inference, input, batches[index]);
      predictions.set(scores, index * HOLDOUT_BATCH_ROWS);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, batches.length) }, worker));

  const observed = computeMetrics(task, table.labels, predictions)[metric];
  if (observed === undefined) throw new HoldoutParityError(`${metric} is not a ${task} metric`);
  const difference = Math.abs(observed - recorded);
  const result = { metric, recorded, observed, difference, tolerance: deps.tolerance, rows: table.rowCount };
  if (!(difference <= deps.tolerance)) {
    throw new HoldoutParityError(
      `${where} on function version ${input.functionVersion}: holdout ${metric} is ${observed}, evaluation recorded ${recorded}; difference ${difference} exceeds the tolerance ${deps.tolerance}`,
    );
  }
  return result;
}

async function predictBatch(inference: HoldoutParityDeps['inference'], input: HoldoutCheckInput, instances: number[][]): Promise<number[]> {
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
