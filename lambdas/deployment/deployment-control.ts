import { type InvokeCommandOutput, InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, type SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { ConflictError, InvalidInputError } from '../registry/errors';
import type { ModelRegistry } from '../registry/registry';
import type { Decision } from '../registry/schemas';

/** Where a team's deployment flow runs (the DeploymentFlow's controlEnvironment, or the stack's outputs). */
export interface DeploymentFlowLocation {
  readonly model: string;
  readonly stateMachineArn: string;
  readonly releaseFunctionName: string;
}

export interface AbortResult {
  model: string;
  version: number;
  execution: string;
  /** The execution's status when the abort found it (RUNNING when this abort stopped it). */
  executionStatus: string;
  /** Whether the release rolled the deployment back (false when the execution had already released it). */
  released: boolean;
  aliasFunctionVersion: string | null;
}

/**
 * Operator control of a team's deployments, shared by the approval API's abort route and `mlops deployments abort`:
 * the deployment in progress is found in the registry (its owning execution), that execution is stopped, and the
 * flow's Release function rolls it back — the same function that releases a timed-out or failed execution on its
 * status-change event, so there is one cleanup path whichever way a deployment ends.
 */
export class DeploymentControl {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly sfn: SFNClient,
    private readonly lambda: LambdaClient,
    private readonly flow: DeploymentFlowLocation,
  ) {}

  async abort(model: string, decision: Decision): Promise<AbortResult> {
    if (model !== this.flow.model) throw new InvalidInputError(`this deployment flow deploys model "${this.flow.model}", not "${model}"`);
    const record = await this.registry.getModel(model);
    const { deployingVersion: version, deployingExecution: execution } = record;
    if (version === undefined || execution === undefined) throw new ConflictError(`nothing of ${model} is deploying; there is no deployment to abort`);
    const executionArn = executionArnOf(this.flow.stateMachineArn, execution);
    const cause = `aborted by ${decision.actor}: ${decision.reason}`;
    const executionStatus = await this.stop(executionArn, cause);
    const released = await this.release({ model, execution, status: 'ABORTED', cause });
    return { model, version, execution, executionStatus, released: released.released, aliasFunctionVersion: released.aliasFunctionVersion ?? null };
  }

  /** Stops the execution if it still runs; returns the status it had. */
  private async stop(executionArn: string, cause: string): Promise<string> {
    let status: string;
    try {
      status = (await this.sfn.send(new DescribeExecutionCommand({ executionArn }))).status ?? 'UNKNOWN';
    } catch (err) {
      // A record left by an execution that no longer exists (history expired): nothing to stop, still release.
      if ((err as Error).name === 'ExecutionDoesNotExist') return 'DOES_NOT_EXIST';
      throw err;
    }
    if (status === 'RUNNING') await this.sfn.send(new StopExecutionCommand({ executionArn, error: 'DeploymentAborted', cause: cause.slice(0, 32_768) }));
    return status;
  }

  private async release(input: { model: string; execution: string; status: 'ABORTED'; cause: string }) {
    const response: InvokeCommandOutput = await this.lambda.send(
      new InvokeCommand({ FunctionName: this.flow.releaseFunctionName, Payload: new TextEncoder().encode(JSON.stringify(input)) }),
    );
    const text = new TextDecoder().decode(response.Payload ?? new Uint8Array());
    if (response.FunctionError) throw new Error(`the release function failed (${response.FunctionError}): ${text}`);
    return JSON.parse(text) as { released: boolean; aliasFunctionVersion?: string | null };
  }
}

/** `arn:aws:states:<region>:<account>:stateMachine:<name>` -> `...:execution:<name>:<execution>`. */
function executionArnOf(stateMachineArn: string, execution: string): string {
  const match = /^(arn:[^:]+:states:[^:]*:[^:]*):stateMachine:([^:]+)$/.exec(stateMachineArn);
  if (!match) throw new InvalidInputError(`not a state machine ARN: ${stateMachineArn}`);
  return `${match[1]}:execution:${match[2]}:${execution}`;
}
