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
