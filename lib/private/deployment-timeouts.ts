import { Duration } from 'aws-cdk-lib';

/**
 * Lambda timeouts of the deployment steps that wait. Prepare waits twice for the inference function's configuration
 * update to settle (lambdas/deployment/inference-function.ts, up to 300 s each) before it publishes.
 */
export const PREPARE_TIMEOUT = Duration.minutes(11);

/** The holdout check invokes the new version on the whole holdout split, in batches. */
export const HOLDOUT_CHECK_TIMEOUT = Duration.minutes(15);
