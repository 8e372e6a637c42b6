/**
 * Error code `InvalidModelOutputError`: what a training job wrote cannot be registered. model.tar.gz lacks
 * model.onnx or metadata.json, metadata.json is invalid or does not describe the team's model (task, classes,
 * features), onnxruntime cannot load or run model.onnx, its input or output shapes do not fit, or its predictions
 * on the validation or holdout rows are not finite probabilities that sum to 1. The message is the sentence for the
 * data scientist. The Evaluate function fails with it before anything is registered; Lambda reports the error's
 * `name` as errorType, which Step Functions' Catch passes to RecordFailure as Error, so the run's failure row in the
 * registry carries this code (and the message, inside Cause).
 */
export class InvalidModelOutputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // A literal, not the class name: the bundled functions are minified.
    this.name = 'InvalidModelOutputError';
  }
}
