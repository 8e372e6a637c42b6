/**
 * The environment variables the constructs set on the functions and the functions read. The readers
 * (lambdas/shared/env.ts) accept only these names, so a misspelt or renamed one fails the type check; a construct's
 * environment written `satisfies FunctionEnvironment` is checked the same way.
 * Producers: the constructs in lib/ (MlopsFunction, ModelRegistry, ApprovalApi, DriftMonitor, ModelQuality, TrainingPipeline,
 * DeploymentFlow, and the inference tiers' `servingEnvironment` in lib/inference-tier.ts); the deployment flow's Prepare
 * step sets MODEL_VERSION and MODEL_ARTIFACT_URI on the inference function it publishes (lambdas/deployment/inference-function.ts).
 * Consumers: the functions and the inference container (lambdas/, through `requiredEnv` and `optionalEnv`).
 */
export type FunctionEnvName =
  // Every function (MlopsFunction): the CloudWatch namespace of its own metrics.
  | 'METRICS_NAMESPACE'
  // The registry's table and event bus, the artifact store.
  | 'REGISTRY_TABLE_NAME'
  | 'EVENT_BUS_NAME'
  | 'ARTIFACT_BUCKET'
  // The model a function acts for, and the version the inference tier serves (empty: none yet).
  | 'MODEL_NAME'
  | 'MODEL_VERSION'
  // Where the served version's archive is, pinned by the deployment flow beside MODEL_VERSION (a hint: the registry decides).
  | 'MODEL_ARTIFACT_URI'
  // The inference tier: traffic capture, the request size limit, the container's port.
  | 'CAPTURE_STREAM_NAME'
  | 'CAPTURE_SAMPLE_PERCENT'
  | 'INFERENCE_MAX_BODY_BYTES'
  | 'PORT'
  // The Lambda inference tier: the DNS suffix of the region's AWS endpoints (AWS::URLSuffix), for its direct reads.
  | 'ENDPOINT_DNS_SUFFIX'
  // The live inference function: the function that answers copies of its requests in a shadow test (ShadowTest).
  | 'SHADOW_FUNCTION_NAME'
  // The approval API: who holds which role (access-policy.ts), the pipeline it starts, the deployment it aborts.
  | 'ACCESS_POLICY'
  | 'TRAINING_STATE_MACHINE_ARN'
  | 'DEPLOYMENT_MODEL_NAME'
  | 'DEPLOYMENT_STATE_MACHINE_ARN'
  | 'DEPLOYMENT_RELEASE_FUNCTION_NAME'
  // The drift monitor: the job's settings and the retrain trigger's cooldown.
  | 'DRIFT_CONFIG'
  | 'RETRAIN_COOLDOWN_HOURS'
  // The model quality job's settings, and what a retraining's trigger says started it (drift or quality).
  | 'QUALITY_CONFIG'
  | 'RETRAIN_CAUSE'
  // The training pipeline's evaluation step.
  | 'EVALUATION_CONFIG'
  // The deployment flow's steps: the function and alias they deploy, the holdout tolerance, the canary's limits.
  | 'INFERENCE_FUNCTION_NAME'
  | 'INFERENCE_ALIAS_NAME'
  | 'HOLDOUT_TOLERANCE'
  | 'CANARY_ERROR_RATE_PERCENT'
  | 'CANARY_ALARM_NAMES';

/** An environment a construct sets on a function, in names of the contract. */
export type FunctionEnvironment = Partial<Record<FunctionEnvName, string>>;
