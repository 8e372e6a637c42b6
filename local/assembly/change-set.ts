import { IntrinsicError, isCustomResource, type StackResolver } from './intrinsics';
import { namePropertyOf, UnsupportedAttributeError } from './resource-identity';
import type { SynthesizedApp } from './synthesized-app';
import { replacingProperties } from './update-behaviour';

/**
 * What a stack update does to each resource, as CloudFormation decides it: resources only in the new template are
 * created, resources only in the old one deleted (kept when their DeletionPolicy is Retain), and resources in both
 * whose resolved properties differ are updated in place or replaced, per the type's update behaviour.
 */

export type ResourceAction = 'create' | 'update' | 'replace' | 'delete';

export interface ResourceChange {
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  readonly action: ResourceAction;
  /** Top-level properties whose resolved values differ (update and replace). */
  readonly changedProperties: readonly string[];
  /** delete or replace: the old resource stays (DeletionPolicy or UpdateReplacePolicy Retain). */
  readonly retained: boolean;
}

export interface StackChangeSummary {
  readonly stackName: string;
  readonly created: string[];
  readonly updated: string[];
  readonly replaced: string[];
  readonly deleted: string[];
  /** Deleted or replaced resources whose old physical resource was kept. */
  readonly retained: string[];
  readonly outputsChanged: string[];
}

/** An update CloudFormation refuses before it touches anything (the message is CloudFormation's). */
export class StackUpdateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackUpdateError';
  }
}

export class ChangeSet {
  constructor(
    readonly oldApp: SynthesizedApp,
    readonly newApp: SynthesizedApp,
    readonly changes: readonly ResourceChange[],
  ) {}

  /** Changes to resources of a type, in template order. */
  ofType(type: string): ResourceChange[] {
    return this.changes.filter((c) => c.type === type);
  }

  /** Whether some resource of one of `types` changed: a service with none of them has nothing to reconcile. */
  touches(...types: string[]): boolean {
    return this.changes.some((c) => types.includes(c.type));
  }

  /** Per stack; outputs are compared when asked, so an output of a custom resource's Data shows its answer. */
  summary(): StackChangeSummary[] {
    const stackNames = [...new Set([...this.newApp.stacks, ...this.oldApp.stacks].map((s) => s.stackName))];
    return stackNames.map((stackName) => {
      const of = (action: ResourceAction) => this.changes.filter((c) => c.stackName === stackName && c.action === action).map((c) => c.logicalId);
      return {
        stackName,
        created: of('create'),
        updated: of('update'),
        replaced: of('replace'),
        deleted: of('delete'),
        retained: this.changes.filter((c) => c.stackName === stackName && c.retained).map((c) => c.logicalId),
        outputsChanged: this.outputsChanged(stackName),
      };
    });
  }

  private outputsChanged(stackName: string): string[] {
    const before = this.oldApp.stack(stackName)?.outputs() ?? {};
    const after = this.newApp.stack(stackName)?.outputs() ?? {};
    return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((name) => before[name] !== after[name]);
  }
}

/** One line per stack: what the update created, updated, replaced and deleted, and which outputs changed. */
export function describeChangeSet(summary: readonly StackChangeSummary[]): string[] {
  return summary.map((s) => {
    const parts = [
      s.created.length && `created ${s.created.join(', ')}`,
      s.updated.length && `updated ${s.updated.join(', ')}`,
      s.replaced.length && `replaced ${s.replaced.join(', ')}`,
      s.deleted.length && `deleted ${s.deleted.join(', ')}`,
      s.retained.length && `kept by their Retain policy ${s.retained.join(', ')}`,
      s.outputsChanged.length && `outputs changed ${s.outputsChanged.join(', ')}`,
    ].filter(Boolean);
    return `${s.stackName}: ${parts.length ? parts.join('; ') : 'no changes'}`;
  });
}

/**
 * Compares the deployed app with a newly synthesized one and decides each resource's fate. Identities the old
 * deployment assigned are carried over to the new app for the resources it keeps; each new or replaced
 * AWS::Lambda::Version gets the next number of its function after `latestVersion` (what Lambda has published).
 */
export function planStackUpdate(oldApp: SynthesizedApp, newApp: SynthesizedApp, latestVersion: (functionName: string) => number): ChangeSet {
  assignIdentities(oldApp, newApp, latestVersion);
  const changes: ResourceChange[] = [];
  for (const stack of newApp.stacks) changes.push(...stackChanges(oldApp.stack(stack.stackName), stack));
  // A stack gone from the assembly is deleted with everything in it.
  for (const old of oldApp.stacks) if (!newApp.stack(old.stackName)) changes.push(...stackChanges(old, undefined));
  return new ChangeSet(oldApp, newApp, changes);
}

function stackChanges(old: StackResolver | undefined, next: StackResolver | undefined): ResourceChange[] {
  const stackName = (next ?? old)!.stackName;
  const oldIds = old ? existing(old) : [];
  const newIds = next ? existing(next) : [];
  const changes: ResourceChange[] = [];
  const typeChanged = newIds.filter((id) => oldIds.includes(id) && old!.resource(id).Type !== next!.resource(id).Type);
  if (typeChanged.length) {
    throw new StackUpdateError(`Update of resource type is not permitted. The new template modifies resource type of the following resources: [${typeChanged.join(', ')}]`);
  }
  for (const logicalId of newIds) {
    const type = next!.resource(logicalId).Type;
    if (!oldIds.includes(logicalId)) {
      changes.push({ stackName, logicalId, type, action: 'create', changedProperties: [], retained: false });
      continue;
    }
    const changed = comparedProperties(old!, next!, logicalId);
    if (!changed.length) continue;
    if (isCustomResource(type) && changed.includes('ServiceToken')) throw new StackUpdateError(`${logicalId}: Modifying service token is not allowed.`);
    const replace = replacingProperties(type, changed).length > 0;
    const nameProperty = namePropertyOf(type);
    const name = nameProperty && next!.properties(logicalId)[nameProperty];
    if (replace && name !== undefined && name === old!.properties(logicalId)[nameProperty!]) {
      throw new StackUpdateError(`CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename ${String(name)} and update the stack again.`);
    }
    changes.push({
      stackName,
      logicalId,
      type,
      action: replace ? 'replace' : 'update',
      changedProperties: changed,
      retained: replace && policy(old!, logicalId, 'UpdateReplacePolicy') === 'Retain',
    });
  }
  for (const logicalId of oldIds) {
    if (newIds.includes(logicalId)) continue;
    const deletion = policy(old!, logicalId, 'DeletionPolicy');
    changes.push({
      stackName,
      logicalId,
      type: old!.resource(logicalId).Type,
      action: 'delete',
      changedProperties: [],
      retained: deletion === 'Retain' || deletion === 'RetainExceptOnCreate',
    });
  }
  return changes;
}

/** Carries kept resources' assigned identities into the new app and numbers the versions this update publishes. */
function assignIdentities(oldApp: SynthesizedApp, newApp: SynthesizedApp, latestVersion: (functionName: string) => number): void {
  pinVersionNumbers(oldApp);
  const published = new Map<string, number>();
  for (const stack of newApp.stacks) {
    const old = oldApp.stack(stack.stackName);
    for (const logicalId of existing(stack)) {
      // Already assigned: the app rolled back to is the one deployed before, with its own identities.
      if (newApp.identities.get(stack.stackName, logicalId)) continue;
      const type = stack.resource(logicalId).Type;
      const kept = old !== undefined && logicalId in old.stack.template.Resources && old.exists(logicalId) && old.resource(logicalId).Type === type;
      const assigned = kept ? oldApp.identities.get(stack.stackName, logicalId) : undefined;
      if (type !== 'AWS::Lambda::Version') {
        if (assigned) newApp.identities.set(stack.stackName, logicalId, assigned);
        continue;
      }
      if (assigned && !changedProperties(old!.properties(logicalId), stack.properties(logicalId)).length) {
        newApp.identities.set(stack.stackName, logicalId, assigned);
        continue;
      }
      const functionArn = String(stack.getAtt(logicalId, 'FunctionArn'));
      const functionName = functionArn.split(':')[6];
      const number = Math.max(published.get(functionName) ?? 0, latestVersion(functionName)) + 1;
      published.set(functionName, number);
      newApp.identities.set(stack.stackName, logicalId, { ref: `${functionArn}:${number}`, attributes: { Version: String(number), FunctionArn: functionArn } });
    }
  }
}

/** Versions numbered from the template (the first deployment) keep those numbers once another template is planned. */
function pinVersionNumbers(app: SynthesizedApp): void {
  for (const { stack, logicalId } of app.resourcesOfType('AWS::Lambda::Version')) {
    if (app.identities.get(stack.stackName, logicalId)) continue;
    app.identities.set(stack.stackName, logicalId, {
      ref: stack.ref(logicalId),
      attributes: { Version: stack.getAtt(logicalId, 'Version'), FunctionArn: stack.getAtt(logicalId, 'FunctionArn') },
    });
  }
}

function existing(stack: StackResolver): string[] {
  return Object.keys(stack.stack.template.Resources).filter((id) => stack.exists(id));
}

/**
 * The properties that differ, resolved; for a resource whose properties the twin cannot resolve (an attribute of a
 * type it does not run, such as a VPC's CidrBlock), the template's own text is compared instead.
 */
function comparedProperties(old: StackResolver, next: StackResolver, logicalId: string): string[] {
  try {
    return changedProperties(old.properties(logicalId), next.properties(logicalId));
  } catch (err) {
    if (!(err instanceof UnsupportedAttributeError) && !(err instanceof IntrinsicError)) throw err;
    return changedProperties(old.resource(logicalId).Properties ?? {}, next.resource(logicalId).Properties ?? {});
  }
}

function changedProperties(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
}

function policy(stack: StackResolver, logicalId: string, name: 'DeletionPolicy' | 'UpdateReplacePolicy'): string | undefined {
  const value = (stack.resource(logicalId) as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}
