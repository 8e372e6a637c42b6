import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { type StackTarget, TWIN_CREDENTIALS, UsageError } from './cli-io';

/**
 * A model name the stack does not serve: the registry would accept a version under it, and nothing would ever
 * deploy or monitor it. Refused before the registry is touched.
 */
class ModelNotServedError extends UsageError {
  constructor(
    readonly model: string,
    readonly stackName: string,
    readonly servedModel: string,
  ) {
    super(`model ${model} is not served by stack ${stackName} (it serves ${servedModel})`);
    this.name = 'ModelNotServedError';
  }
}

/** Output ids (CDK may append a hash to output ids of nested constructs, so they are matched as fragments). */
const MODEL_NAME_OUTPUT = 'ModelName';
const INFERENCE_FUNCTION_OUTPUT = 'InferenceFunctionName';

/**
 * The model the stack serves: its `ModelName` output, on either inference tier. A stack deployed before that output
 * existed is asked through its inference function's MODEL_NAME (Lambda API of the twin or of AWS); undefined when it
 * has neither (an older EKS stack), where there is nothing to ask.
 */
export async function servedModel(target: StackTarget): Promise<string | undefined> {
  const named = Object.keys(target.outputs).find((k) => k === MODEL_NAME_OUTPUT || k.startsWith(MODEL_NAME_OUTPUT));
  if (named) return target.outputs[named];
  const key = Object.keys(target.outputs).find((k) => k.includes(INFERENCE_FUNCTION_OUTPUT));
  if (!key) return undefined;
  if (target.kind === 'twin' && !target.twinUrl) throw new UsageError(`the twin state of ${target.stackName} has no twinUrl; restart the twin`);
  const lambda =
    target.kind === 'twin'
      ? new LambdaClient({ region: target.region, endpoint: target.twinUrl, credentials: TWIN_CREDENTIALS })
      : new LambdaClient({ region: target.region });
  try {
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: target.outputs[key] }));
    const model = config.Environment?.Variables?.MODEL_NAME;
    if (!model) throw new Error(`function ${target.outputs[key]} has no MODEL_NAME`);
    return model;
  } catch (err) {
    throw new Error(`cannot tell which model stack ${target.stackName} serves: ${(err as Error).message}`, { cause: err });
  } finally {
    lambda.destroy();
  }
}

/** Throws ModelNotServedError unless `model` is the one the stack serves (or the stack has no function to ask). */
export async function requireServedModel(target: StackTarget, model: string): Promise<void> {
  const served = await servedModel(target);
  if (served !== undefined && served !== model) throw new ModelNotServedError(model, target.stackName, served);
}
