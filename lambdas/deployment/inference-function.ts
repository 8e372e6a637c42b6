import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  type LambdaClient,
  PreconditionFailedException,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdated,
} from '@aws-sdk/client-lambda';
import { AliasChangedError } from './errors';

/** What the alias serves: its primary function version and any weighted canary versions (weights 0-1). */
export interface AliasRouting {
  functionVersion: string;
  weights: Record<string, number>;
  /** The alias's revision when it was read; routeAlias with `ifRevisionId` applies only to that revision. */
  revisionId?: string;
}

/**
 * The inference function as the deployment steps see it. The Lambda implementation below is the one used in the
 * functions and the twin; the deployment-flow tests run it against the twin's Lambda API.
 */
export interface InferenceFunction {
  /**
   * Points $LATEST at a model version (MODEL_VERSION, and MODEL_ARTIFACT_URI, the archive the registry records for it,
   * which a cold start then downloads beside its registry read; other variables kept) and publishes it; returns the
   * function version.
   */
  publishModelVersion(model: { version: number; artifactUri: string }, description: string): Promise<string>;
  getAlias(): Promise<AliasRouting>;
  /**
   * Routes the alias to `functionVersion`, plus `canary.weight` (0-1) of requests to `canary.functionVersion`. With
   * `ifRevisionId`, only if the alias is still at that revision; otherwise it throws AliasChangedError.
   */
  routeAlias(functionVersion: string, canary?: { functionVersion: string; weight: number }, options?: { ifRevisionId?: string }): Promise<void>;
  /** Invokes one function version with `payload`; returns its parsed response payload. */
  invoke(functionVersion: string, payload: unknown): Promise<unknown>;
}

/** Limit for waiting on a configuration update to settle. */
const UPDATE_WAIT_SECONDS = 300;
/**
 * The longest publishModelVersion waits: for a previous update to settle, then for its own. The function that calls
 * it (the deployment's Prepare step) needs a Lambda timeout above this, plus the few API calls around the waits.
 */
export const PUBLISH_MAX_WAIT_SECONDS = 2 * UPDATE_WAIT_SECONDS;

export class LambdaInferenceFunction implements InferenceFunction {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
    private readonly aliasName: string,
  ) {}

  async publishModelVersion(model: { version: number; artifactUri: string }, description: string): Promise<string> {
    const pinned = { MODEL_VERSION: String(model.version), MODEL_ARTIFACT_URI: model.artifactUri };
    const FunctionName = this.functionName;
    await waitUntilFunctionUpdated({ client: this.client, maxWaitTime: UPDATE_WAIT_SECONDS }, { FunctionName });
    const current = await this.client.send(new GetFunctionConfigurationCommand({ FunctionName }));
    // RevisionId guards against a concurrent configuration change being overwritten or published by mistake.
    await this.client.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName,
        RevisionId: current.RevisionId,
        Environment: { Variables: { ...current.Environment?.Variables, ...pinned } },
      }),
    );
    await waitUntilFunctionUpdated({ client: this.client, maxWaitTime: UPDATE_WAIT_SECONDS }, { FunctionName });
    const updated = await this.client.send(new GetFunctionConfigurationCommand({ FunctionName }));
    const variables = updated.Environment?.Variables;
    if (variables?.MODEL_VERSION !== pinned.MODEL_VERSION || variables.MODEL_ARTIFACT_URI !== pinned.MODEL_ARTIFACT_URI) {
      throw new Error(`${FunctionName} was reconfigured concurrently; MODEL_VERSION is not ${model.version}`);
    }
    const published = await this.client.send(
      new PublishVersionCommand({ FunctionName, Description: description, RevisionId: updated.RevisionId }),
    );
    if (!published.Version) throw new Error(`PublishVersion of ${FunctionName} returned no version`);
    return published.Version;
  }

  async getAlias(): Promise<AliasRouting> {
    const alias = await this.client.send(new GetAliasCommand({ FunctionName: this.functionName, Name: this.aliasName }));
    if (!alias.FunctionVersion) throw new Error(`alias ${this.aliasName} of ${this.functionName} has no function version`);
    return { functionVersion: alias.FunctionVersion, weights: alias.RoutingConfig?.AdditionalVersionWeights ?? {}, revisionId: alias.RevisionId };
  }

  async routeAlias(functionVersion: string, canary?: { functionVersion: string; weight: number }, options: { ifRevisionId?: string } = {}): Promise<void> {
    try {
      await this.client.send(
        new UpdateAliasCommand({
          FunctionName: this.functionName,
          Name: this.aliasName,
          FunctionVersion: functionVersion,
          // An empty map removes a previous canary.
          RoutingConfig: { AdditionalVersionWeights: canary ? { [canary.functionVersion]: canary.weight } : {} },
          RevisionId: options.ifRevisionId,
        }),
      );
    } catch (err) {
      if (err instanceof PreconditionFailedException) {
        throw new AliasChangedError(`alias ${this.aliasName} of ${this.functionName} changed since it was read (revision ${options.ifRevisionId}); not routed`, { cause: err });
      }
      throw err;
    }
  }

  async invoke(functionVersion: string, payload: unknown): Promise<unknown> {
    const response = await this.client.send(
      new InvokeCommand({
        FunctionName: this.functionName,
        Qualifier: functionVersion,
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      }),
    );
    const text = new TextDecoder().decode(response.Payload ?? new Uint8Array());
    if (response.FunctionError) throw new Error(`${this.functionName}:${functionVersion} failed (${response.FunctionError}): ${text}`);
    return JSON.parse(text);
  }
}
