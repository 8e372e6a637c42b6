import { ConflictError, InvalidInputError } from '../registry/errors';
import type { ModelRegistry } from '../registry/registry';
import type { Decision } from '../registry/schemas';
import type { InferenceFunction } from './inference-function';
import type { DeploymentTarget, RollbackInput, ShiftTrafficInput } from './schemas';

/** Reasons in audit rows stay readable; Step Functions causes can be whole stack traces. */
const MAX_REASON_CHARS = 1000;

/**
 * The registry-and-alias steps of the DeploymentFlow state machine. Each is safe to retry: a step that already
 * happened is recognised from the registry and the alias, not repeated.
 */
export class DeploymentSteps {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly inference: InferenceFunction,
    /** The team's model (MODEL_NAME); these functions deploy nothing else. */
    private readonly model: string,
  ) {}

  /** Begin: approved -> deploying. */
  async begin(input: DeploymentTarget) {
    this.checkModel(input);
    const current = await this.registry.getVersion(input.model, input.version);
    if (current.status !== 'deploying') {
      await this.registry.beginDeployment(input.model, input.version, decision(input, 'deployment started'));
    }
    return { model: input.model, version: input.version, status: 'deploying' as const };
  }

  /** Prepare: publishes a function version serving this model version and records it on the version. */
  async prepareVersion(input: DeploymentTarget) {
    this.checkModel(input);
    const current = await this.requireDeploying(input);
    if (current.functionVersion) return { functionVersion: current.functionVersion };
    const { functionVersion: priorFunctionVersion } = await this.inference.getAlias();
    const functionVersion = await this.inference.publishModelVersion(input.version, `${input.model} v${input.version}`);
    await this.registry.annotate(input.model, input.version, { functionVersion, priorFunctionVersion });
    return { functionVersion };
  }

  /**
   * Canary and Promote: `weightPercent` of traffic to the new function version, the rest to the live one.
   * With nothing live yet there is nothing to compare against, so the new version takes all traffic.
   */
  async shiftTraffic(input: ShiftTrafficInput) {
    this.checkModel(input);
    const current = await this.requireDeploying(input);
    if (current.functionVersion !== input.functionVersion) {
      throw new ConflictError(
        `${input.model} v${input.version} is served by function version ${current.functionVersion ?? '(none)'}, not ${input.functionVersion}`,
      );
    }
    const liveFunctionVersion = await this.liveFunctionVersion(input.model);
    if (input.weightPercent >= 100 || liveFunctionVersion === undefined || liveFunctionVersion === input.functionVersion) {
      await this.inference.routeAlias(input.functionVersion);
      return { functionVersion: input.functionVersion, weightPercent: 100, primaryFunctionVersion: input.functionVersion };
    }
    await this.inference.routeAlias(liveFunctionVersion, { functionVersion: input.functionVersion, weight: input.weightPercent / 100 });
    return { functionVersion: input.functionVersion, weightPercent: input.weightPercent, primaryFunctionVersion: liveFunctionVersion };
  }

  /** Finalize: deploying -> live (the previous live version is retired), once the alias serves it alone. */
  async finalize(input: DeploymentTarget) {
    this.checkModel(input);
    const current = await this.registry.getVersion(input.model, input.version);
    if (current.status === 'live') {
      return { model: input.model, version: input.version, status: 'live' as const, retiredVersion: null };
    }
    const alias = await this.inference.getAlias();
    if (alias.functionVersion !== current.functionVersion || Object.keys(alias.weights).length > 0) {
      throw new ConflictError(
        `the alias serves function version ${alias.functionVersion}${Object.keys(alias.weights).length ? ' with a canary' : ''}, not ${current.functionVersion ?? '(none)'} alone; promote before finalizing`,
      );
    }
    const result = await this.registry.finalizeDeployment(input.model, input.version, decision(input, 'deployment finished'));
    return { model: input.model, version: input.version, status: 'live' as const, retiredVersion: result.retiredVersion ?? null };
  }

  /**
   * Rollback. After a failed deployment: deploying -> rolled_back with the failure as reason. After a rollback of
   * the live version (the registry already restored the previous one): nothing to record. Either way the alias is
   * pointed, alone, at the live version's function version, or at what it served before this version when nothing
   * is live.
   */
  async rollback(input: RollbackInput) {
    this.checkModel(input);
    const current = await this.registry.getVersion(input.model, input.version);
    const registryChanged = current.status === 'deploying';
    if (registryChanged) {
      await this.registry.failDeployment(input.model, input.version, decision(input, failureReason(input.error)));
    }
    const target = (await this.liveFunctionVersion(input.model)) ?? current.priorFunctionVersion;
    if (target !== undefined) await this.inference.routeAlias(target);
    const status = registryChanged ? 'rolled_back' : current.status;
    return { model: input.model, version: input.version, status, aliasFunctionVersion: target ?? null, registryChanged };
  }

  private async liveFunctionVersion(model: string): Promise<string | undefined> {
    const { liveVersion } = await this.registry.getModel(model);
    return liveVersion === undefined ? undefined : (await this.registry.getVersion(model, liveVersion)).functionVersion;
  }

  private async requireDeploying(input: DeploymentTarget) {
    const current = await this.registry.getVersion(input.model, input.version);
    if (current.status !== 'deploying') {
      throw new ConflictError(`${input.model} v${input.version} is ${current.status}, not deploying`);
    }
    return current;
  }

  private checkModel(input: DeploymentTarget): void {
    if (input.model !== this.model) {
      throw new InvalidInputError(`this deployment flow deploys model "${this.model}", got "${input.model}"`);
    }
  }
}

const decision = (input: DeploymentTarget, reason: string): Decision => ({
  actor: input.execution ? `deployment:${input.execution}` : 'deployment',
  reason,
});

/** "Error: message" from a Catch's error and cause; Lambda causes are JSON with an errorMessage. */
export function failureReason(error: RollbackInput['error']): string {
  if (!error) return 'deployment rolled back';
  let message = error.Cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // not JSON: keep the cause as it is
  }
  return [error.Error, message].filter(Boolean).join(': ').slice(0, MAX_REASON_CHARS) || 'deployment failed';
}
