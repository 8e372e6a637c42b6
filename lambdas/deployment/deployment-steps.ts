import { ConflictError, InvalidInputError, NotDeploymentOwnerError } from '../registry/errors';
import type { ModelRegistry } from '../registry/registry';
import type { Decision } from '../registry/schemas';
import type { CanaryMetrics } from './canary-metrics';
import { AliasChangedError } from './errors';
import type { AliasRouting, InferenceFunction } from './inference-function';
import type { DeploymentTarget, ReleaseInput, RollbackInput, ShiftTrafficInput, WatchCanaryInput } from './schemas';

/** Reads and updates of the alias a step makes before giving up to the flow's own retry (AliasChangedError). */
const ALIAS_ATTEMPTS = 3;

/** Reasons in audit rows stay readable; Step Functions causes can be whole stack traces. */
const MAX_REASON_CHARS = 1000;

/** What the canary is judged on while it bakes. */
export interface CanaryPolicy {
  readonly metrics: CanaryMetrics;
  /** The new version's own error rate (percent of its requests) above which the canary fails. */
  readonly errorRatePercent: number;
  /** The inference tier's alarms; any in ALARM during the bake fails the canary. */
  readonly alarmNames: readonly string[];
}

/**
 * The registry-and-alias steps of the DeploymentFlow state machine. Each is safe to retry: a step that already
 * happened is recognised from the registry and the alias, not repeated. A deployment belongs to the execution that
 * began it (recorded on the model): every later step checks that it is still the owner, so a duplicate or stale
 * execution never moves the alias or the registry under another deployment.
 */
export class DeploymentSteps {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly inference: InferenceFunction,
    /** The team's model (MODEL_NAME); these functions deploy nothing else. */
    private readonly model: string,
    private readonly canary?: CanaryPolicy,
  ) {}

  /**
   * Begin: approved -> deploying, owned by this execution. While another version deploys it fails with
   * DeploymentInProgressError, which the flow retries (the approval waits its turn); a version another execution is
   * deploying fails with NotDeploymentOwnerError. The flow ends either without touching anything.
   */
  async begin(input: DeploymentTarget) {
    this.checkModel(input);
    await this.registry.beginDeployment(input.model, input.version, decision(input, 'deployment started'), input.execution);
    return { model: input.model, version: input.version, status: 'deploying' as const, execution: input.execution };
  }

  /** Prepare: publishes a function version serving this model version and records it on the version. */
  async prepareVersion(input: DeploymentTarget) {
    this.checkModel(input);
    const current = await this.requireOwnDeployment(input);
    if (current.functionVersion) return { functionVersion: current.functionVersion };
    const { functionVersion: priorFunctionVersion } = await this.inference.getAlias();
    const functionVersion = await this.inference.publishModelVersion({ version: input.version, artifactUri: current.artifactUri }, `${input.model} v${input.version}`);
    await this.registry.annotate(input.model, input.version, { functionVersion, priorFunctionVersion });
    return { functionVersion };
  }

  /**
   * Canary and Promote: `weightPercent` of traffic to the new function version, the rest to the live one.
   * With nothing live yet there is nothing to compare against, so the new version takes all traffic.
   * `shiftedAt` is when the canary started: its metrics are watched from then on.
   */
  async shiftTraffic(input: ShiftTrafficInput) {
    this.checkModel(input);
    // The alias is read before ownership is checked, and routed only if it is still that revision. A release (an abort,
    // the execution's end) takes the deployment in the registry first and routes the alias after; so when it comes
    // between the check and the update, the update fails (AliasChangedError) instead of putting the canary back.
    const { revisionId } = await this.inference.getAlias();
    const current = await this.requireOwnDeployment(input);
    if (current.functionVersion !== input.functionVersion) {
      throw new ConflictError(
        `${input.model} v${input.version} is served by function version ${current.functionVersion ?? '(none)'}, not ${input.functionVersion}`,
      );
    }
    const liveFunctionVersion = await this.liveFunctionVersion(input.model);
    const shiftedAt = new Date().toISOString();
    if (input.weightPercent >= 100 || liveFunctionVersion === undefined || liveFunctionVersion === input.functionVersion) {
      await this.inference.routeAlias(input.functionVersion, undefined, { ifRevisionId: revisionId });
      return { functionVersion: input.functionVersion, weightPercent: 100, primaryFunctionVersion: input.functionVersion, shiftedAt };
    }
    await this.inference.routeAlias(liveFunctionVersion, { functionVersion: input.functionVersion, weight: input.weightPercent / 100 }, { ifRevisionId: revisionId });
    return { functionVersion: input.functionVersion, weightPercent: input.weightPercent, primaryFunctionVersion: liveFunctionVersion, shiftedAt };
  }

  /**
   * One look at the canary during the bake: the new version's own requests behind the alias (Lambda's ExecutedVersion
   * metrics, so a 1% canary is judged on its 1%, not diluted by the live version's traffic) and the tier's alarms.
   * Returns `healthy: false` with the reason; the flow then rolls back.
   */
  async watchCanary(input: WatchCanaryInput) {
    this.checkModel(input);
    if (!this.canary) throw new Error('this function has no canary policy (CANARY_ERROR_RATE_PERCENT is not set)');
    await this.requireOwnDeployment(input);
    const { metrics, errorRatePercent, alarmNames } = this.canary;
    const [traffic, inAlarm] = await Promise.all([
      metrics.versionTraffic({ functionVersion: input.functionVersion, modelVersion: input.version }, new Date(input.since), new Date()),
      metrics.alarmsInAlarm(alarmNames),
    ]);
    const observedPercent = traffic.invocations > 0 ? (100 * traffic.errors) / traffic.invocations : 0;
    const problems = [
      ...(inAlarm.length ? [`alarms in ALARM: ${inAlarm.join(', ')}`] : []),
      ...(observedPercent > errorRatePercent
        ? [`v${input.version} (function version ${input.functionVersion}) failed ${traffic.errors} of its ${traffic.invocations} requests (${round(observedPercent)}% > ${errorRatePercent}%)`]
        : []),
    ];
    return {
      healthy: problems.length === 0,
      reason: problems.length ? `canary of ${input.model} v${input.version}: ${problems.join('; ')}` : null,
      invocations: traffic.invocations,
      errors: traffic.errors,
      errorRatePercent: round(observedPercent),
      alarmsInAlarm: inAlarm,
    };
  }

  /** Finalize: deploying -> live (the previous live version is retired), once the alias serves it alone. */
  async finalize(input: DeploymentTarget) {
    this.checkModel(input);
    const current = await this.registry.getVersion(input.model, input.version);
    if (current.status === 'live') {
      return { model: input.model, version: input.version, status: 'live' as const, retiredVersion: null };
    }
    await this.requireOwnDeployment(input);
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
   * Rollback and Restore.
   * - A failed deployment this execution owns: deploying -> rolled_back with the failure as reason, and the alias
   *   alone on the live version's function version (or on what it served before this version when nothing is live).
   * - A version another execution is deploying: nothing is touched (that deployment is not ours to undo).
   * - Restore, after a rollback of the live version (the registry already restored the previous one): the alias's
   *   main version goes to the restored one; a canary another deployment has on the alias keeps its weight.
   */
  async rollback(input: RollbackInput) {
    this.checkModel(input);
    const [current, model] = await Promise.all([this.registry.getVersion(input.model, input.version), this.registry.getModel(input.model)]);
    const unchanged = { model: input.model, version: input.version, status: current.status, registryChanged: false };
    if (current.status === 'deploying') {
      if (model.deployingExecution !== undefined && model.deployingExecution !== input.execution) {
        return { ...unchanged, aliasFunctionVersion: null, note: `deployed by execution ${model.deployingExecution}; left alone` };
      }
      await this.registry.failDeployment(input.model, input.version, decision(input, failureReason(input.error)), input.execution);
      const target = (await this.liveFunctionVersion(input.model)) ?? current.priorFunctionVersion;
      if (target !== undefined) await this.inference.routeAlias(target);
      return { ...unchanged, status: 'rolled_back' as const, registryChanged: true, aliasFunctionVersion: target ?? null };
    }
    const target = (await this.liveFunctionVersion(input.model)) ?? current.priorFunctionVersion;
    if (target === undefined) return { ...unchanged, aliasFunctionVersion: null };
    await this.routeKeepingDeployingCanary(input.model, target);
    return { ...unchanged, aliasFunctionVersion: target };
  }

  /**
   * Release: the deployment owned by an execution that ended without finishing (failed, timed out, aborted) is rolled
   * back as its own Rollback step would have. Nothing happens when that execution no longer owns a deployment (it
   * rolled back itself, finished, or another deployment began since), so the status-change event and an abort may
   * both release the same execution.
   */
  async release(input: ReleaseInput) {
    if (input.model !== this.model) {
      throw new InvalidInputError(`this deployment flow deploys model "${this.model}", got "${input.model}"`);
    }
    const model = await this.registry.getModel(input.model);
    if (model.deployingExecution !== input.execution || model.deployingVersion === undefined) {
      await this.dropStrayCanary(input.model);
      return { model: input.model, execution: input.execution, released: false, version: null };
    }
    let rolledBack;
    try {
      rolledBack = await this.rollback({
        model: input.model,
        version: model.deployingVersion,
        execution: input.execution,
        error: { Error: `Execution${pascal(input.status)}`, Cause: input.cause ?? `execution ${input.execution} ended ${input.status}` },
      });
    } catch (err) {
      // An abort and the execution's ABORTED event release the same execution at once: whoever committed first did it.
      if (err instanceof ConflictError && (await this.registry.getModel(input.model)).deployingExecution !== input.execution) {
        await this.dropStrayCanary(input.model);
        return { model: input.model, execution: input.execution, released: false, version: null };
      }
      throw err;
    }
    return { ...rolledBack, execution: input.execution, released: true };
  }

  /**
   * A release that finds its deployment already released (an abort and the execution's ABORTED event race; a retry
   * after the registry was updated but the alias was not) still leaves the alias as a finished release would: no
   * canary weight on a function version the registry is not deploying. Both releasers converge on the same alias, and
   * neither returns before it is so, whichever committed the registry change.
   */
  private async dropStrayCanary(model: string): Promise<void> {
    const alias = await this.inference.getAlias();
    await this.routeKeepingDeployingCanary(model, alias.functionVersion, alias);
  }

  /**
   * Routes the alias to `functionVersion`, keeping the canary weight of the version being deployed now (another
   * execution's deployment, not ours to undo) and dropping any other. The update applies to the revision read; when a
   * deployment step routed the alias meanwhile, it reads again.
   */
  private async routeKeepingDeployingCanary(model: string, functionVersion: string, read?: AliasRouting): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const alias = read ?? (await this.inference.getAlias());
      read = undefined;
      const { deployingVersion } = await this.registry.getModel(model);
      const deploying = deployingVersion === undefined ? undefined : (await this.registry.getVersion(model, deployingVersion)).functionVersion;
      const weight = deploying !== undefined && deploying !== functionVersion ? alias.weights[deploying] : undefined;
      const canary = weight === undefined ? undefined : { functionVersion: deploying!, weight };
      const unchanged = alias.functionVersion === functionVersion && Object.keys(alias.weights).length === (canary ? 1 : 0);
      if (unchanged) return;
      try {
        await this.inference.routeAlias(functionVersion, canary, { ifRevisionId: alias.revisionId });
        return;
      } catch (err) {
        if (!(err instanceof AliasChangedError) || attempt >= ALIAS_ATTEMPTS) throw err;
      }
    }
  }

  private async liveFunctionVersion(model: string): Promise<string | undefined> {
    const { liveVersion } = await this.registry.getModel(model);
    return liveVersion === undefined ? undefined : (await this.registry.getVersion(model, liveVersion)).functionVersion;
  }

  /** The version, if it is deploying and this execution owns that deployment. */
  private async requireOwnDeployment(input: DeploymentTarget) {
    const [current, model] = await Promise.all([this.registry.getVersion(input.model, input.version), this.registry.getModel(input.model)]);
    if (current.status !== 'deploying') {
      throw new ConflictError(`${input.model} v${input.version} is ${current.status}, not deploying`);
    }
    if (model.deployingExecution !== undefined && model.deployingExecution !== input.execution) {
      throw new NotDeploymentOwnerError(`${input.model} v${input.version} is being deployed by execution ${model.deployingExecution}, not ${input.execution}`);
    }
    return current;
  }

  private checkModel(input: DeploymentTarget): void {
    if (input.model !== this.model) {
      throw new InvalidInputError(`this deployment flow deploys model "${this.model}", got "${input.model}"`);
    }
  }
}

const round = (value: number) => Math.round(value * 100) / 100;
const pascal = (status: string) => status.toLowerCase().replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());

const decision = (input: DeploymentTarget, reason: string): Decision => ({ actor: `deployment:${input.execution}`, reason });

/** "Error: message" from a Catch's error and cause; Lambda causes are JSON with an errorMessage. */
function failureReason(error: RollbackInput['error']): string {
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
