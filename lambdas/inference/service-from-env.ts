import { Metrics } from '@aws-lambda-powertools/metrics';
import { optionalEnv, requiredEnv } from '../shared/env';
import { InferenceService, type InferenceServiceOptions } from './inference-service';
import { type ModelSource, modelSourceFromEnv } from './model-source';
import { DEFAULT_LIMITS } from './request-schema';
import { shadowCopiesFromEnv } from './shadow-from-env';
import { InferenceMetrics } from './telemetry';
import { DeferredCaptureSink, TrafficCapture } from './traffic-capture';
import type { FunctionEnvName } from '../../contracts/function-environment';

/**
 * The service as configured by the environment (docs/architecture.md), shared by the Lambda handler and the
 * container server: MODEL_NAME, MODEL_VERSION (empty: no model yet), REGISTRY_TABLE_NAME, CAPTURE_STREAM_NAME,
 * CAPTURE_SAMPLE_PERCENT (0-100), METRICS_NAMESPACE; optional INFERENCE_MAX_BODY_BYTES (default 6 MiB) and
 * SHADOW_FUNCTION_NAME (shadow-from-env.ts).
 * Configuration errors throw at startup, naming the variable.
 */
export function inferenceServiceFromEnv(options: Pick<InferenceServiceOptions, 'flushWithRequests'> & { source?: ModelSource } = {}): InferenceService {
  const { source = modelSourceFromEnv(), ...serviceOptions } = options;
  const metrics = new InferenceMetrics(new Metrics({ namespace: requiredEnv('METRICS_NAMESPACE') }), source.model, source.version);
  const samplePercent = numberEnv('CAPTURE_SAMPLE_PERCENT', '0', 0, 100);
  const captureStream = samplePercent > 0 ? requiredEnv('CAPTURE_STREAM_NAME') : undefined;
  const capture =
    captureStream === undefined
      ? undefined
      : new TrafficCapture(new DeferredCaptureSink(() => import('./capture-sink').then(({ firehoseCaptureSink }) => firehoseCaptureSink(captureStream))), { samplePercent });
  const maxBodyBytes = numberEnv('INFERENCE_MAX_BODY_BYTES', String(DEFAULT_LIMITS.maxBodyBytes), 1, Number.MAX_SAFE_INTEGER);
  const shadow = shadowCopiesFromEnv(source.model);
  return new InferenceService({ source, metrics, capture, shadow, limits: { ...DEFAULT_LIMITS, maxBodyBytes }, ...serviceOptions });
}

function numberEnv(name: FunctionEnvName, fallback: string, min: number, max: number): number {
  const raw = optionalEnv(name, fallback);
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`Environment variable ${name} must be a number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}
