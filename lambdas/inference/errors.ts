/**
 * Typed errors of the inference tier. Each carries the HTTP status both adapters (the Lambda handler and the
 * container server) answer with: a request can only ever produce a 4xx; a 503 means the model cannot be served.
 */
export abstract class InferenceError extends Error {
  abstract readonly statusCode: 400 | 404 | 405 | 413 | 503;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The request body is not a valid invocation; the message names the field, e.g. `instances[3][2]: ...`. */
export class InvalidRequestError extends InferenceError {
  readonly statusCode = 400;
}

/** The body is larger than the configured limit; refused before it is parsed. */
export class PayloadTooLargeError extends InferenceError {
  readonly statusCode = 413;
}

export class RouteNotFoundError extends InferenceError {
  readonly statusCode = 404;
}

export class MethodNotAllowedError extends InferenceError {
  readonly statusCode = 405;
  constructor(
    message: string,
    /** Methods the route accepts, for the `Allow` header. */
    readonly allow: string,
  ) {
    super(message);
  }
}

/** No model can be served: none configured, the artifact is missing or broken, or it fails verification. */
export class ModelUnavailableError extends InferenceError {
  readonly statusCode = 503;
}

/**
 * The ONNX model does not fit its metadata.json (input, output, shapes) or onnxruntime cannot load it. The
 * inference tier answers 503; evaluation fails the run; bring-your-own-model registration reports it as bad input.
 */
export class ModelContractError extends ModelUnavailableError {}

/** The downloaded artifact's SHA-256 differs from the registry's: it is never extracted or loaded. */
export class ArtifactIntegrityError extends ModelUnavailableError {}
