import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { z } from 'zod';
import { optionalEnv, requiredEnv } from '../shared/env';
import { registryFromEnv } from '../registry/registry-from-env';
import { CloudWatchCanaryMetrics } from './canary-metrics';
import { type CanaryPolicy, DeploymentSteps } from './deployment-steps';
import { LambdaInferenceFunction } from './inference-function';

/** The inference function and alias this team deploys to (INFERENCE_FUNCTION_NAME, INFERENCE_ALIAS_NAME). */
export const inferenceFunctionFromEnv = () =>
  new LambdaInferenceFunction(new LambdaClient({}), requiredEnv('INFERENCE_FUNCTION_NAME'), requiredEnv('INFERENCE_ALIAS_NAME'));

const alarmNamesSchema = z.array(z.string().min(1));

/** The canary watch's policy, for the function that has CANARY_ERROR_RATE_PERCENT (and CANARY_ALARM_NAMES, a JSON list). */
function canaryPolicyFromEnv(): CanaryPolicy | undefined {
  const percent = optionalEnv('CANARY_ERROR_RATE_PERCENT', '');
  if (percent === '') return undefined;
  const errorRatePercent = Number(percent);
  if (!(errorRatePercent >= 0 && errorRatePercent <= 100)) throw new Error(`CANARY_ERROR_RATE_PERCENT must be a percentage, got "${percent}"`);
  return {
    metrics: new CloudWatchCanaryMetrics(new CloudWatchClient({}), requiredEnv('INFERENCE_FUNCTION_NAME'), requiredEnv('INFERENCE_ALIAS_NAME'), {
      namespace: requiredEnv('METRICS_NAMESPACE'),
      model: requiredEnv('MODEL_NAME'),
    }),
    errorRatePercent,
    alarmNames: alarmNamesSchema.parse(JSON.parse(optionalEnv('CANARY_ALARM_NAMES', '[]'))),
  };
}

export const deploymentStepsFromEnv = () =>
  new DeploymentSteps(registryFromEnv(), inferenceFunctionFromEnv(), requiredEnv('MODEL_NAME'), canaryPolicyFromEnv());
