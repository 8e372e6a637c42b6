/**
 * Typed registry errors. Each carries the HTTP status the approval API answers with, so the API, the CLI and
 * the Step Functions steps all report the same problem the same way.
 */
export abstract class RegistryError extends Error {
  abstract readonly statusCode: 400 | 401 | 403 | 404 | 409 | 503;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Malformed input: a bad model name, version number or body. Nothing was written. */
export class InvalidInputError extends RegistryError {
  readonly statusCode = 400;
}

/** The caller is not authenticated. */
export class UnauthorizedError extends RegistryError {
  readonly statusCode = 401;
}

/** The caller is signed in but lacks the role the request needs; nothing was written. */
export class ForbiddenError extends RegistryError {
  readonly statusCode = 403;
  constructor(
    message: string,
    /** The role that would have allowed it. */
    readonly missingRole: string,
  ) {
    super(message);
  }
}

/**
 * The identity that registered a version (a person through BYOM, or the person whose request started the training
 * run) may not approve it: a second person must, unless the team config allows self-approval. Nothing was written.
 */
export class SelfApprovalError extends RegistryError {
  readonly statusCode = 403;
}

/** The model or version does not exist. */
export class NotFoundError extends RegistryError {
  readonly statusCode = 404;
}

/** The request conflicts with the registry's state (e.g. a client token reused for another artifact). */
export class ConflictError extends RegistryError {
  readonly statusCode = 409;
}

/** A status change the state machine does not allow. Nothing was written. */
export class IllegalTransitionError extends ConflictError {
  constructor(
    readonly model: string,
    readonly version: number,
    readonly from: string,
    readonly to: string,
    readonly allowed: readonly string[],
  ) {
    super(
      `cannot move ${model} v${version} from ${from} to ${to}; from ${from} the allowed next statuses are: ${allowed.length ? allowed.join(', ') : 'none (final status)'}`,
    );
  }
}

/** Too many concurrent writers on one model; the caller may retry. Nothing was written by this call. */
export class ContentionError extends RegistryError {
  readonly statusCode = 503;
}

/**
 * Another version of the model is deploying; one deployment per model at a time. The deployment flow retries Begin on
 * this error (by its name), so a second approval waits its turn.
 */
export class DeploymentInProgressError extends ConflictError {}

/** The version's deployment belongs to another execution (a duplicate approval event, or a stale execution). */
export class NotDeploymentOwnerError extends ConflictError {}
