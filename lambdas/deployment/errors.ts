/**
 * The deployed version does not reproduce the evaluation on the holdout set, or cannot be checked. The
 * DeploymentFlow catches it (by this name) and rolls back.
 */
export class HoldoutParityError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HoldoutParityError';
  }
}

/**
 * The live alias changed between the step reading it and updating it (Lambda's PreconditionFailedException on the
 * RevisionId read): another step (a release, a restore) routed it meanwhile. The DeploymentFlow retries the step by
 * this name, which reads the alias and the deployment's ownership again.
 */
export class AliasChangedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AliasChangedError';
  }
}
