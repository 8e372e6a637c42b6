import { LambdaClient } from '@aws-sdk/client-lambda';
import { requiredEnv } from '../shared/env';
import { registryFromEnv } from '../registry/registry-from-env';
import { DeploymentSteps } from './deployment-steps';
import { LambdaInferenceFunction } from './inference-function';

/** The inference function and alias this team deploys to (INFERENCE_FUNCTION_NAME, INFERENCE_ALIAS_NAME). */
export const inferenceFunctionFromEnv = () =>
  new LambdaInferenceFunction(new LambdaClient({}), requiredEnv('INFERENCE_FUNCTION_NAME'), requiredEnv('INFERENCE_ALIAS_NAME'));

export const deploymentStepsFromEnv = () =>
  new DeploymentSteps(registryFromEnv(), inferenceFunctionFromEnv(), requiredEnv('MODEL_NAME'));
