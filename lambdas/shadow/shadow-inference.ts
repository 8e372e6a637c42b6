import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3ArtifactReader } from '../../pipelines/common/s3';
import { type CopiedRequest, type ShadowAnswer, type ShadowBatch, shadowObjectKey, type ShadowRecord } from '../../contracts/shadow-test';
import { ModelSession } from '../inference/model-session';
import { loadVerifiedModel, type VersionLookup } from '../inference/model-store';
import { classProbabilities, positiveProbability, predictedClass, predictedLabel } from '../inference/predict';

export interface ShadowInferenceDeps {
  readonly s3: S3Client;
  /** The registry's store, read only: the shadow version's artifact and SHA-256. */
  readonly registry: VersionLookup;
  /** The artifact store's bucket, where the compared rows go (`shadow/<model>/v<version>/`). */
  readonly bucket: string;
  /** The team's model (MODEL_NAME); batches of another are refused. */
  readonly model: string;
}

/** A batch for another model than the function's; the event goes to the dead-letter queue. */
export class ShadowBatchError extends Error {
  override readonly name = 'ShadowBatchError';
}

/**
 * The shadow function's core: answers each copied request with the version in shadow (the live tier's ModelSession,
 * loaded for purpose 'shadow' so a pending version loads), times it, and writes every row's live answer beside the
 * shadow's as JSON lines to S3. A shadow that cannot answer (its model does not load, a row lacks one of its
 * features) writes the row with its error: errors are part of the report, not a failed invocation.
 */
export class ShadowInference {
  /** One session per version per container, as batch scoring keeps them; a failed load is tried again next batch. */
  private readonly sessions = new Map<number, Promise<ModelSession>>();

  constructor(private readonly deps: ShadowInferenceDeps) {}

  /**
   * `invocationId` names the object: Lambda retries an asynchronous event with the same request id, so a retry after a
   * failure overwrites what the failed attempt may have written instead of counting its rows twice.
   */
  async run(batch: ShadowBatch, invocationId: string = randomUUID()): Promise<{ key: string; rows: number; errors: number }> {
    if (batch.model !== this.deps.model) throw new ShadowBatchError(`this shadow function serves model "${this.deps.model}", got a batch of "${batch.model}"`);
    let session: ModelSession | undefined;
    let loadError: string | undefined;
    try {
      session = await this.session(batch.shadowVersion);
    } catch (error) {
      loadError = `model v${batch.shadowVersion} not loaded: ${(error as Error).message}`;
    }
    const records: ShadowRecord[] = [];
    for (const request of batch.requests) {
      const base = { model: batch.model, liveVersion: batch.liveVersion, shadowVersion: batch.shadowVersion, requestId: request.requestId, at: request.at };
      const answered = session ? await answer(session, batch.featureNames, request) : { error: loadError!, latencyMs: 0 };
      request.rows.forEach((row, r) => {
        const shadow = 'answers' in answered ? answered.answers[r] : undefined;
        records.push({ ...base, live: row.live, ...(shadow ? { shadow } : { error: 'error' in answered ? answered.error : 'no answer' }), latencyMs: answered.latencyMs });
      });
    }
    // The hour folder of the batch's first request: a retry writes the same key.
    const key = shadowObjectKey(batch.model, batch.shadowVersion, new Date(batch.requests[0].at), invocationId);
    await this.deps.s3.send(
      new PutObjectCommand({ Bucket: this.deps.bucket, Key: key, Body: records.map((r) => `${JSON.stringify(r)}\n`).join(''), ContentType: 'application/x-ndjson' }),
    );
    return { key, rows: records.length, errors: records.filter((r) => r.error !== undefined).length };
  }

  private session(version: number): Promise<ModelSession> {
    let session = this.sessions.get(version);
    if (!session) {
      session = loadVerifiedModel({ registry: this.deps.registry, artifacts: s3ArtifactReader(this.deps.s3) }, this.deps.model, version, { purpose: 'shadow' }).then((model) => ModelSession.create(model));
      session.catch(() => this.sessions.delete(version));
      this.sessions.set(version, session);
    }
    return session;
  }
}

/** The shadow's answers to one request's rows (features mapped by name from the live model's order), timed. */
async function answer(
  session: ModelSession,
  liveFeatures: readonly string[],
  request: CopiedRequest,
): Promise<{ answers: ShadowAnswer[]; latencyMs: number } | { error: string; latencyMs: number }> {
  const started = performance.now();
  const columns = session.featureNames.map((name) => liveFeatures.indexOf(name));
  const missing = session.featureNames.filter((_, i) => columns[i] < 0);
  if (missing.length) return { error: `the live requests lack the shadow's features ${missing.join(', ')}`, latencyMs: 0 };
  const rows = request.rows.length;
  const features = new Float32Array(rows * session.width);
  request.rows.forEach((row, r) => columns.forEach((column, f) => (features[r * session.width + f] = row.features[column])));
  try {
    const output = await session.run(features, rows);
    const multiclass = session.task === 'multiclass-classification';
    const answers = Array.from({ length: rows }, (_, r): ShadowAnswer => {
      const prediction = multiclass ? classProbabilities(output, r)[predictedClass(output, r)] : positiveProbability(output, r);
      return session.task === 'regression' ? { prediction } : { prediction, label: predictedLabel(session, output, r) };
    });
    return { answers, latencyMs: performance.now() - started };
  } catch (error) {
    return { error: `the shadow failed: ${(error as Error).message}`, latencyMs: performance.now() - started };
  }
}
