import { type ChangeSet, planStackUpdate, StackUpdateError } from '../assembly/change-set';
import type { SynthesizedApp } from '../assembly/synthesized-app';
import type { CustomResources } from '../services/cloudformation/custom-resources';
import type { Timeline } from '../timeline';

/** One service's part in a stack update: its creates and updates, then (once the update succeeded) its deletions. */
export interface ServiceReconciler {
  readonly reconcile: (changes: ChangeSet) => void | Promise<void>;
  readonly cleanUp?: (changes: ChangeSet) => void | Promise<void>;
}

/** A stack update that failed after it started changing resources, and was rolled back to the app deployed before. */
export class StackUpdateRolledBackError extends Error {
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super(`the stack update failed and was rolled back (UPDATE_ROLLBACK_COMPLETE): ${reason}`, options);
    this.name = 'StackUpdateRolledBackError';
  }
}

/**
 * Applies a new cloud assembly to the running services as CloudFormation updates a stack: plan the change set, let
 * each service create and update its resources, run the custom resources (Create/Update), and only then clean up
 * (custom resources' Deletes first, while their functions still exist, then the services' deletions). A custom
 * resource that fails rolls every service back to the deployed app, as CloudFormation rolls back the stack.
 */
export class StackUpdater {
  private inProgress = false;

  constructor(
    private readonly services: readonly ServiceReconciler[],
    private readonly customResources: CustomResources,
    private readonly timeline: Timeline,
    /** The highest version number Lambda has published for a function (new template versions come after it). */
    private readonly latestVersion: (functionName: string) => number,
  ) {}

  async apply(deployed: SynthesizedApp, next: SynthesizedApp): Promise<ChangeSet> {
    if (this.inProgress) throw new StackUpdateError('Stack is in UPDATE_IN_PROGRESS state and can not be updated.');
    this.inProgress = true;
    try {
      const changes = planStackUpdate(deployed, next, this.latestVersion);
      for (const service of this.services) await service.reconcile(changes);
      let applied;
      try {
        applied = await this.customResources.apply(changes);
      } catch (err) {
        await this.rollBack(changes);
        throw new StackUpdateRolledBackError((err as Error).message, { cause: err });
      }
      await this.customResources.cleanUp(changes, applied);
      for (const service of [...this.services].reverse()) await service.cleanUp?.(changes);
      return changes;
    } finally {
      this.inProgress = false;
    }
  }

  /** Every service back to the deployed app: the update's own changes, planned the other way round. */
  private async rollBack(failed: ChangeSet): Promise<void> {
    const back = planStackUpdate(failed.newApp, failed.oldApp, this.latestVersion);
    try {
      for (const service of this.services) await service.reconcile(back);
      for (const service of [...this.services].reverse()) await service.cleanUp?.(back);
    } catch (err) {
      this.timeline.add('error', `stack update rollback failed (UPDATE_ROLLBACK_FAILED): ${(err as Error).message}`);
    }
  }
}
