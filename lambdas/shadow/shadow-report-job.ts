import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { hourFolder, SHADOW_METRICS, shadowPrefix, type ShadowRecord, shadowRecordSchema, type ShadowReport } from '../../contracts/shadow-test';
import { NotFoundError } from '../registry/errors';
import type { ModelRegistry } from '../registry/registry';
import { shadowReport } from './shadow-report';

export interface ShadowReportJobDeps {
  readonly s3: S3Client;
  readonly registry: ModelRegistry;
  readonly bucket: string;
  readonly model: string;
  readonly metrics: Metrics;
}

const HOUR_MS = 3_600_000;

/** A compared-rows object with a line that is not a ShadowRecord: named by key and line, the report is not written. */
class ShadowRecordError extends Error {
  override readonly name = 'ShadowRecordError';
}

export type ShadowReportOutcome = { status: 'no-shadow'; model: string } | { status: 'reported'; report: ShadowReport };

/**
 * The hourly report (the ShadowTest construct's schedule): the hour before `at` of the model's shadow version, from the
 * rows its shadow function wrote, as CloudWatch metrics (dimensions Model and ShadowVersion) and on the version in the
 * registry. A model with no shadow test reports nothing. A window with no copied rows is reported too (0 rows): a
 * shadow that was sent nothing is worth seeing before an approval.
 */
export async function runShadowReport(deps: ShadowReportJobDeps, at: Date): Promise<ShadowReportOutcome> {
  const model = await registeredModel(deps);
  if (!model?.shadow) return { status: 'no-shadow', model: deps.model };
  const window = { start: new Date(at.getTime() - HOUR_MS), end: at };
  const records = (await readWindow(deps, model.shadow.version, window)).filter((r) => r.at >= window.start.toISOString() && r.at < window.end.toISOString());
  const report = shadowReport(records, window, { liveVersion: model.liveVersion ?? null, shadowVersion: model.shadow.version });
  publish(deps.metrics, deps.model, report);
  await deps.registry.recordShadowReport(deps.model, report);
  return { status: 'reported', report };
}

/**
 * The model's registry record, or undefined before its first version is registered: the schedule starts with the stack,
 * before the first training run, and those hours have no shadow to report (not a failure for the dead-letter queue).
 */
async function registeredModel(deps: ShadowReportJobDeps) {
  try {
    return await deps.registry.getModel(deps.model);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

/**
 * The rows of the hour folders the window touches. An object sits in the hour of its batch's first request and a batch
 * spans about a second of copies, so the hour a minute before the start is read too when it differs.
 */
async function readWindow(deps: ShadowReportJobDeps, version: number, window: { start: Date; end: Date }): Promise<ShadowRecord[]> {
  const folders = [...new Set([hourFolder(new Date(window.start.getTime() - 60_000)), hourFolder(window.start), hourFolder(window.end)])];
  const keys: string[] = [];
  for (const folder of folders) {
    let token: string | undefined;
    do {
      const page = await deps.s3.send(new ListObjectsV2Command({ Bucket: deps.bucket, Prefix: `${shadowPrefix(deps.model, version)}${folder}`, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : [])));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
  // One object per live container per second of copying: a busy hour holds thousands. A few reads in flight overlap
  // their latency without opening a socket per object.
  const records: ShadowRecord[] = [];
  const pending = [...keys];
  const reader = async () => {
    for (let key = pending.shift(); key !== undefined; key = pending.shift()) {
      const text = await (await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: key }))).Body!.transformToString();
      records.push(...parseRecords(text, `s3://${deps.bucket}/${key}`));
    }
  };
  await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, keys.length) }, reader));
  return records;
}

const READS_IN_FLIGHT = 16;

function parseRecords(text: string, uri: string): ShadowRecord[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      const parsed = shadowRecordSchema.safeParse(safeJson(line));
      if (!parsed.success) throw new ShadowRecordError(`${uri} line ${i + 1}: not a shadow record (${parsed.error.issues[0].message})`);
      return parsed.data;
    });
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function publish(metrics: Metrics, model: string, report: ShadowReport): void {
  metrics.addDimension('Model', model);
  metrics.addDimension('ShadowVersion', String(report.shadowVersion));
  metrics.addMetric(SHADOW_METRICS.rows, MetricUnit.Count, report.rows);
  metrics.addMetric(SHADOW_METRICS.errors, MetricUnit.Count, report.errors);
  const optional: [number | null, string, Parameters<Metrics['addMetric']>[1]][] = [
    [report.agreementRate, SHADOW_METRICS.agreementRate, MetricUnit.NoUnit],
    [report.meanAbsoluteDifference, SHADOW_METRICS.meanAbsoluteDifference, MetricUnit.NoUnit],
    [report.predictionPsi, SHADOW_METRICS.predictionPsi, MetricUnit.NoUnit],
    [report.latencyP50Ms, SHADOW_METRICS.latencyP50Ms, MetricUnit.Milliseconds],
    [report.latencyP99Ms, SHADOW_METRICS.latencyP99Ms, MetricUnit.Milliseconds],
  ];
  for (const [value, name, unit] of optional) if (value !== null) metrics.addMetric(name, unit, value);
  metrics.publishStoredMetrics();
}
