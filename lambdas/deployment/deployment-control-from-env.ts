import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { ModelRegistry } from '../registry/registry';
import { optionalEnv } from '../shared/env';
import { DeploymentControl } from './deployment-control';

/** The deployment control of a function given DeploymentFlow.controlEnvironment; undefined without it (EKS tier). */
export function deploymentControlFromEnv(registry: ModelRegistry): DeploymentControl | undefined {
  const stateMachineArn = optionalEnv('DEPLOYMENT_STATE_MACHINE_ARN', '');
  if (!stateMachineArn) return undefined;
  return new DeploymentControl(registry, new SFNClient({}), new LambdaClient({}), {
    model: optionalEnv('DEPLOYMENT_MODEL_NAME', ''),
    stateMachineArn,
    releaseFunctionName: optionalEnv('DEPLOYMENT_RELEASE_FUNCTION_NAME', ''),
  });
}
