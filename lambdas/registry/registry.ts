import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunRecord } from '../../contracts/registry-api';
import type { VersionStatus } from '../../contracts/registry-events';
import { MAX_SHADOW_REPORTS, type ShadowReport } from '../../contracts/shadow-test';
import { type AuditChainVerdict, chainAudits, type UnchainedAudit, verifyAuditChain } from './audit-chain';
import { displayName, type Principal, samePrincipal } from './caller';
import {
  ConflictError,
  ContentionError,
  DeploymentInProgressError,
  InvalidInputError,
  NotDeploymentOwnerError,
  NotFoundError,
  SelfApprovalError,
} from './errors';
import {
  type AuditRecord,
  type Decision,
  type ModelRecord,
  modelNameSchema,
  type RegisterInput,
  registerInputSchema,
  type VersionAnnotations,
  type VersionRecord,
  versionNumberSchema,
} from './schemas';
import type { Change, RegistryStore, StoredModel } from './store';
import { parseInput } from './parse-input';
import { assertTransition } from './transitions';

export interface ModelRegistryOptions {
  /** @default - the system clock */
  readonly clock?: () => Date;
  /** Commit attempts before giving up under contention. @default 100 */
  readonly maxAttempts?: number;
  /** Let the identity that registered a version approve it. @default false */
  readonly allowSelfApproval?: boolean;
}

/** The outcome of a status change. */
export interface TransitionResult {
  model: string;
  version: number;
  from: VersionStatus;
  to: VersionStatus;
  /** Set when the change made a previously live version live again. */
  restoredVersion?: number;
  /** Set when the change retired the previously live version. */
  retiredVersion?: number;
}

export interface RegisterResult {
  version: VersionRecord;
  /** False when the client token had already registered this version. */
  created: boolean;
}

export interface ShadowStartResult {
  model: string;
  version: number;
  /** The version it is compared with. */
  liveVersion: number;
  samplePercent: number;
}

export interface VersionDetail {
  version: VersionRecord;
  audit: AuditRecord[];
}

type ChangeBody = Omit<Change, 'id' | 'revision' | 'audits'> & { audits: UnchainedAudit[] };
/** What a mutation decided: its result, and the change to commit (none when nothing needs writing). */
interface Plan<T> {
  result: T;
  change?: ChangeBody;
}

/**
 * The model registry: versions, their lifecycle and its audit trail. The approval API, the pipeline and deployment
 * steps, the SageMaker bridge and the CLI all go through this class; storage is behind `RegistryStore`.
 *
 * Every mutation reads the model, decides (throwing a typed error, having written nothing, when the request is
 * illegal), and commits at the revision it read; if another writer committed first it re-reads and decides again.
 */
export class ModelRegistry {
  private readonly clock: () => Date;
  private readonly maxAttempts: number;
  private readonly allowSelfApproval: boolean;

  constructor(
    private readonly store: RegistryStore,
    options: ModelRegistryOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.maxAttempts = options.maxAttempts ?? 100;
    this.allowSelfApproval = options.allowSelfApproval ?? false;
  }

  async listModels(): Promise<ModelRecord[]> {
    return (await this.store.listModels()).sort((a, b) => a.model.localeCompare(b.model));
  }

  // Reads never write: a change another writer committed but has not applied yet is read from the model item, whose
  // record is already the changed one and whose `pending` holds the change's items. Read-only roles (evaluation,
  // drift, the inference tier) may not write the table, and a read that finished someone's change would fail there.

  async getModel(model: string): Promise<ModelRecord> {
    return (await this.committed(model)).record;
  }

  async listVersions(model: string): Promise<VersionRecord[]> {
    const { pending } = await this.committed(model);
    return newest(await this.store.listVersions(model), pending?.versions ?? [], (v) => String(v.version)).sort((a, b) => a.version - b.version);
  }

  async getVersion(model: string, version: number | string): Promise<VersionRecord> {
    const number = parseVersion(version);
    const { pending } = await this.committed(model);
    const record = pending?.versions.find((v) => v.version === number) ?? (await this.store.getVersion(model, number));
    if (!record) throw new NotFoundError(`model "${model}" has no version ${number}`);
    return record;
  }

  async getVersionDetail(model: string, version: number | string): Promise<VersionDetail> {
    const number = parseVersion(version);
    const { pending } = await this.committed(model);
    const record = await this.getVersion(model, number);
    const pendingAudit = (pending?.audits ?? []).filter((a) => a.version === number);
    const audit = newest(await this.store.listAudit(model, number), pendingAudit, (a) => String(a.seq));
    return { version: record, audit: audit.sort((a, b) => a.seq - b.seq) };
  }

  /**
   * Checks the model's whole audit trail against the chain head on its model item (lambdas/registry/audit-chain.ts).
   * A change committed but not yet applied is judged on its committed rows, which its apply writes verbatim.
   */
  async verifyAudit(model: string): Promise<AuditChainVerdict> {
    const { record } = await this.committed(model);
    return verifyAuditChain(await this.auditTrail(model), record.auditHead);
  }

  /** The model's whole audit trail in chain order, rows of a committed change not yet applied included. */
  async auditTrail(model: string): Promise<AuditRecord[]> {
    const { pending } = await this.committed(model);
    return newest(await this.store.listAudit(model), pending?.audits ?? [], (a) => String(a.seq)).sort((a, b) => a.seq - b.seq);
  }

  async listRuns(model: string): Promise<RunRecord[]> {
    // Failed runs may exist before the model's first version, so an unknown model just has no runs.
    return (await this.store.listRuns(parseModel(model))).sort((a, b) => b.at.localeCompare(a.at));
  }

  /**
   * Registers a new version as pending approval; the version number is the model's next, without gaps. `registrant` is
   * a signed-in principal (BYOM through the approval API) or a service (`pipeline:<execution>`); `requestedBy` is the
   * person a service registers for (who started the training run). That person is the version's `createdByPrincipal`.
   */
  async register(raw: RegisterInput, registrant: string | Principal, requestedBy?: Principal): Promise<RegisterResult> {
    const actor = typeof registrant === 'string' ? registrant : displayName(registrant);
    const principal = typeof registrant === 'string' ? requestedBy : registrant;
    const input = parseInput(registerInputSchema, raw, 'registration');
    return this.mutate<RegisterResult>(input.model, async (stored) => {
      if (input.clientToken) {
        const token = await this.store.getToken(input.model, input.clientToken);
        if (token) {
          if (token.artifactSha256 !== input.artifactSha256) {
            throw new ConflictError(
              `client token "${input.clientToken}" already registered ${input.model} v${token.version} with another artifact`,
            );
          }
          const existing = await this.store.getVersion(input.model, token.version);
          if (!existing) throw new Error(`token of ${input.model} v${token.version} points at a missing version`);
          return { result: { version: existing, created: false } };
        }
      }
      const at = this.now();
      const number = (stored?.record.latestVersion ?? 0) + 1;
      const { clientToken, executionName } = input;
      const version: VersionRecord = {
        ...input,
        version: number,
        status: 'pending_approval',
        createdAt: at,
        createdBy: actor,
        ...(principal && { createdByPrincipal: principal }),
        updatedAt: at,
      };
      const model: ModelRecord = stored
        ? { ...stored.record, latestVersion: number, updatedAt: at }
        : { model: input.model, latestVersion: number, liveHistory: [], createdAt: at, updatedAt: at };
      return {
        result: { version, created: true },
        change: {
          model,
          versions: [version],
          audits: [this.audit(version, null, { actor, principal, reason: input.description ?? 'registered' }, at)],
          tokens: clientToken ? [{ model: input.model, clientToken, version: number, artifactSha256: input.artifactSha256 }] : [],
          runs: executionName ? [{ model: input.model, executionName, status: 'succeeded', version: number, at }] : [],
        },
      };
    });
  }

  /**
   * pending_approval -> approved. The identity that registered the version may not approve it (SelfApprovalError)
   * unless the registry allows self-approval; a service decision (the evaluation gate's auto-approval) has no identity.
   */
  async approve(model: string, version: number | string, decision: Decision): Promise<TransitionResult> {
    return this.transition(model, version, 'approved', decision, (current) => {
      if (!this.allowSelfApproval && samePrincipal(decision.principal, current.createdByPrincipal)) {
        throw new SelfApprovalError(
          `${decision.actor} registered ${current.model} v${current.version} and cannot also approve it; another approver must (the team config's access.allowSelfApproval is off)`,
        );
      }
    });
  }

  /** pending_approval -> rejected; rejecting the live version rolls it back and restores the previous one. */
  async reject(model: string, version: number | string, decision: Decision): Promise<TransitionResult> {
    const number = parseVersion(version);
    return this.mutate(parseModel(model), async (read) => {
      const stored = requireModel(model, read);
      const current = await this.requireVersion(model, number);
      return current.status === 'live'
        ? this.planRollback(stored, decision, number)
        : this.planTransition(stored, current, 'rejected', decision);
    });
  }

  /**
   * approved -> deploying, owned by `execution` (the deployment flow's execution name); one deployment per model at a
   * time. Repeating it for the owner is a no-op; another execution gets NotDeploymentOwnerError, and any execution
   * gets DeploymentInProgressError while another version deploys.
   */
  async beginDeployment(model: string, version: number | string, decision: Decision, execution: string): Promise<TransitionResult> {
    const number = parseVersion(version);
    return this.mutate(parseModel(model), async (read) => {
      const stored = requireModel(model, read);
      const current = await this.requireVersion(model, number);
      const { deployingVersion, deployingExecution } = stored.record;
      if (deployingVersion === number && current.status === 'deploying') {
        if (deployingExecution !== execution) {
          throw new NotDeploymentOwnerError(`${model} v${number} is being deployed by execution ${deployingExecution ?? '(unrecorded)'}, not ${execution}`);
        }
        return { result: { model, version: number, from: 'deploying' as const, to: 'deploying' as const }, change: undefined };
      }
      if (deployingVersion !== undefined) {
        throw new DeploymentInProgressError(
          `${model} v${deployingVersion} is deploying (execution ${deployingExecution ?? '(unrecorded)'}); one deployment per model at a time`,
        );
      }
      const plan = await this.planTransition(stored, current, 'deploying', decision);
      plan.change!.model.deployingExecution = execution;
      return plan;
    });
  }

  /** deploying -> live; the previously live version is retired. */
  async finalizeDeployment(model: string, version: number | string, decision: Decision): Promise<TransitionResult> {
    return this.transition(model, version, 'live', decision);
  }

  /** deploying -> rolled_back, for a deployment that failed; what was live stays live. Only the owning execution may. */
  async failDeployment(model: string, version: number | string, decision: Decision, execution: string): Promise<TransitionResult> {
    return this.transition(model, version, 'rolled_back', decision, (current, record) => {
      if (current.status === 'live') {
        throw new ConflictError(`${model} v${current.version} is live, not deploying; roll back the live version instead`);
      }
      if (current.status === 'deploying' && record.deployingExecution !== undefined && record.deployingExecution !== execution) {
        throw new NotDeploymentOwnerError(`${model} v${current.version} is being deployed by execution ${record.deployingExecution}, not ${execution}`);
      }
    });
  }

  /**
   * live -> rolled_back for the live version, and the version that was live before it goes back to live.
   * Both changes get an audit row.
   */
  async rollbackLive(model: string, decision: Decision): Promise<TransitionResult> {
    return this.mutate(parseModel(model), async (read) => {
      const stored = requireModel(model, read);
      const live = stored.record.liveVersion;
      if (live === undefined) throw new ConflictError(`model "${model}" has no live version to roll back`);
      return this.planRollback(stored, decision, live);
    });
  }

  /** Records deployment or mirroring attributes of a version; not a status change, so no audit row. */
  async annotate(model: string, version: number | string, annotations: VersionAnnotations): Promise<VersionRecord> {
    const number = parseVersion(version);
    return this.mutate(parseModel(model), async (read) => {
      const stored = requireModel(model, read);
      const current = await this.requireVersion(model, number);
      const updated: VersionRecord = { ...current, ...annotations, updatedAt: this.now() };
      return { result: updated, change: { model: stored.record, versions: [updated], audits: [], tokens: [], runs: [] } };
    });
  }

  /**
   * Puts a pending version in shadow: the live tier copies `samplePercent` of its requests to it (contracts/shadow-test.ts).
   * Only a pending version (the evidence is for its approver) of a model with a live version (something to compare
   * with), one shadow per model. Not a status change, so its audit row keeps the status (from = to) and says so in its
   * reason: the trail shows who started it and why, and registry events of it change no subscriber's state.
   */
  async startShadow(model: string, version: number | string, decision: Decision, samplePercent: number): Promise<ShadowStartResult> {
    const number = parseVersion(version);
    return this.mutate(parseModel(model), async (read) => {
      const stored = requireModel(model, read);
      const current = await this.requireVersion(model, number);
      const { liveVersion, shadow } = stored.record;
      if (current.status !== 'pending_approval') {
        throw new ConflictError(`${model} v${number} is ${current.status}: only a version pending approval can run in shadow`);
      }
      if (liveVersion === undefined) throw new ConflictError(`model "${model}" has no live version for a shadow to be compared with`);
      if (shadow !== undefined && shadow.version !== number) {
        throw new ConflictError(`${model} v${shadow.version} is in shadow; stop it first (one shadow test per model)`);
      }
      const at = this.now();
      const state = { version: number, samplePercent, startedAt: shadow?.startedAt ?? at, startedBy: decision.actor };
      const reason = `shadow test started (${samplePercent}% of live requests, compared with v${liveVersion}): ${decision.reason}`;
      return {
        result: { model, version: number, liveVersion, samplePercent },
        change: {
          model: { ...stored.record, shadow: state, updatedAt: at },
          versions: [],
          audits: [this.audit(current, current.status, { ...decision, reason }, at)],
          tokens: [],
          runs: [],
        },
      };
    });
  }

  /** Stops the model's shadow test (audited on the shadow version, status unchanged); ConflictError when none runs. */
  async stopShadow(model: string, decision: Decision): Promise<{ model: string; version: number }> {
    return this.mutate(parseModel(model), async (read) => {
      const stored = requireModel(model, read);
      const { shadow } = stored.record;
      if (shadow === undefined) throw new ConflictError(`model "${model}" has no shadow test to stop`);
      const current = await this.requireVersion(model, shadow.version);
      const at = this.now();
      const next: ModelRecord = { ...stored.record, updatedAt: at };
      delete next.shadow;
      return {
        result: { model, version: shadow.version },
        change: {
          model: next,
          versions: [],
          audits: [this.audit(current, current.status, { ...decision, reason: `shadow test stopped: ${decision.reason}` }, at)],
          tokens: [],
          runs: [],
        },
      };
    });
  }

  /** Keeps an hourly shadow report on its version (the newest MAX_SHADOW_REPORTS); a measurement, so no audit row. */
  async recordShadowReport(model: string, report: ShadowReport): Promise<VersionRecord> {
    return this.mutate(parseModel(model), async (read) => {
      const stored = requireModel(model, read);
      const current = await this.requireVersion(model, report.shadowVersion);
      const reports = [...(current.shadowReports ?? []).filter((r) => r.windowEnd !== report.windowEnd), report].slice(-MAX_SHADOW_REPORTS);
      const updated: VersionRecord = { ...current, shadowReports: reports, updatedAt: this.now() };
      return { result: updated, change: { model: stored.record, versions: [updated], audits: [], tokens: [], runs: [] } };
    });
  }

  /** Records a failed pipeline run; repeating it for one execution keeps the first record. */
  async recordRunFailure(run: Omit<RunRecord, 'status' | 'at'>): Promise<RunRecord> {
    const record: RunRecord = { ...run, model: parseModel(run.model), status: 'failed', at: this.now() };
    await this.store.putRun(record);
    return record;
  }

  /** Moves one version to `to`; `guard` may refuse with a typed error. */
  private async transition(
    model: string,
    version: number | string,
    to: VersionStatus,
    decision: Decision,
    guard?: (current: VersionRecord, record: ModelRecord) => void,
  ): Promise<TransitionResult> {
    const number = parseVersion(version);
    return this.mutate(parseModel(model), async (read) => {
      const stored = requireModel(model, read);
      const current = await this.requireVersion(model, number);
      guard?.(current, stored.record);
      return this.planTransition(stored, current, to, decision);
    });
  }

  private async planTransition(
    stored: StoredModel,
    current: VersionRecord,
    to: VersionStatus,
    decision: Decision,
  ): Promise<Plan<TransitionResult>> {
    const { model, version } = current;
    assertTransition(model, version, current.status, to);
    const at = this.now();
    const updated: VersionRecord = { ...current, status: to, updatedAt: at };
    const versions = [updated];
    const audits = [this.audit(updated, current.status, decision, at)];
    const next: ModelRecord = { ...stored.record, updatedAt: at };
    let retiredVersion: number | undefined;
    if (to === 'deploying') next.deployingVersion = version;
    // The decision the shadow gathered evidence for is made: the live tier stops copying requests to it.
    if (stored.record.shadow?.version === version && (to === 'approved' || to === 'rejected')) delete next.shadow;
    if (current.status === 'deploying') {
      delete next.deployingVersion;
      delete next.deployingExecution;
    }
    if (to === 'live') {
      retiredVersion = stored.record.liveVersion;
      if (retiredVersion !== undefined) {
        const retiring = await this.requireVersion(model, retiredVersion);
        assertTransition(model, retiredVersion, retiring.status, 'retired');
        const retired: VersionRecord = { ...retiring, status: 'retired', updatedAt: at };
        versions.push(retired);
        audits.push(this.audit(retired, retiring.status, { ...decision, reason: `superseded by v${version}` }, at));
      }
      next.liveVersion = version;
      next.liveHistory = [...stored.record.liveHistory, version];
    }
    return {
      result: { model, version, from: current.status, to, retiredVersion },
      change: { model: next, versions, audits, tokens: [], runs: [] },
    };
  }

  /** Rolls back `version`, which must be the live one, restoring the version that was live before it. */
  private async planRollback(stored: StoredModel, decision: Decision, version: number): Promise<Plan<TransitionResult>> {
    const model = stored.record.model;
    const current = await this.requireVersion(model, version);
    assertTransition(model, version, current.status, 'rolled_back');
    const at = this.now();
    const history = stored.record.liveHistory.slice(0, -1);
    const restoredVersion = history.at(-1);
    const rolledBack: VersionRecord = { ...current, status: 'rolled_back', updatedAt: at };
    const versions = [rolledBack];
    const audits = [this.audit(rolledBack, current.status, decision, at, restoredVersion)];
    const next: ModelRecord = { ...stored.record, liveHistory: history, updatedAt: at };
    delete next.liveVersion;
    if (restoredVersion !== undefined) {
      const previous = await this.requireVersion(model, restoredVersion);
      if (previous.status !== 'retired') {
        throw new ConflictError(`cannot restore ${model} v${restoredVersion}: it is ${previous.status}, not retired`);
      }
      const restored: VersionRecord = { ...previous, status: 'live', updatedAt: at };
      versions.push(restored);
      const reason = `restored after rollback of v${version}: ${decision.reason}`;
      audits.push(this.audit(restored, previous.status, { ...decision, reason }, at));
      next.liveVersion = restoredVersion;
    }
    return {
      result: { model, version, from: current.status, to: 'rolled_back', restoredVersion },
      change: { model: next, versions, audits, tokens: [], runs: [] },
    };
  }

  /** Optimistic loop: settle pending work, plan against what was read, commit at that revision or start over. */
  private async mutate<T>(model: string, plan: (stored: StoredModel | undefined) => Promise<Plan<T>>): Promise<T> {
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const stored = await this.settled(model);
      const { result, change } = await plan(stored);
      if (!change) return result;
      const chained = chainAudits(change.audits, stored?.record.auditHead);
      const record = chained.head ? { ...change.model, auditHead: chained.head } : change.model;
      const full: Change = { ...change, model: record, audits: chained.rows, id: randomUUID(), revision: (stored?.revision ?? 0) + 1 };
      if (await this.store.commit(full, stored?.revision ?? 0)) {
        await this.store.apply(full);
        return result;
      }
      // Full jitter keeps many writers on one model from retrying in lockstep.
      await sleep(Math.random() * Math.min(250, 5 * 2 ** Math.min(attempt, 6)));
    }
    throw new ContentionError(`too many concurrent changes to model "${model}"; try again`);
  }

  /** The model item as committed (see the note above getModel); throws NotFoundError for an unknown model. */
  private async committed(model: string): Promise<StoredModel> {
    return requireModel(model, await this.store.getModel(parseModel(model)));
  }

  /** Reads the model for a write, finishing a change another writer committed but did not get to apply. */
  private async settled(model: string): Promise<StoredModel | undefined> {
    const stored = await this.store.getModel(model);
    if (stored?.pending) {
      await this.store.apply(stored.pending);
      return { record: stored.record, revision: stored.revision };
    }
    return stored;
  }

  private async requireVersion(model: string, version: number): Promise<VersionRecord> {
    const record = await this.store.getVersion(model, version);
    if (!record) throw new NotFoundError(`model "${model}" has no version ${version}`);
    return record;
  }

  private audit(
    version: VersionRecord,
    from: VersionStatus | null,
    decision: Decision,
    at: string,
    restoredVersion?: number,
  ): UnchainedAudit {
    return {
      model: version.model,
      version: version.version,
      from,
      to: version.status,
      actor: decision.actor,
      ...(decision.principal && { principal: decision.principal }),
      reason: decision.reason,
      at,
      versionCreatedAt: version.createdAt,
      restoredVersion,
      id: randomUUID(),
    };
  }

  private now(): string {
    return this.clock().toISOString();
  }
}

/** `stored` with the items of `pending` in place of the ones they replace (matched by `key`). */
function newest<T>(stored: readonly T[], pending: readonly T[], key: (item: T) => string): T[] {
  const replaced = new Set(pending.map(key));
  return [...stored.filter((item) => !replaced.has(key(item))), ...pending];
}

function requireModel(model: string, stored: StoredModel | undefined): StoredModel {
  if (!stored) throw new NotFoundError(`model "${model}" not found`);
  return stored;
}

function parseModel(model: string): string {
  const parsed = modelNameSchema.safeParse(model);
  if (!parsed.success) throw new InvalidInputError(`${parsed.error.issues[0].message}, got "${model}"`);
  return parsed.data;
}

function parseVersion(version: number | string): number {
  const parsed = versionNumberSchema.safeParse(version);
  if (!parsed.success) throw new InvalidInputError(`${parsed.error.issues[0].message}, got "${version}"`);
  return parsed.data;
}
