/**
 * The request header that keeps a request out of the captured traffic.
 * Producers: the deployment flow's holdout-parity check (lambdas/deployment/holdout-parity.ts) sends it.
 * Consumers: the inference tier, on Lambda and on EKS (lambdas/inference/handler.ts, server.ts).
 */
/**
 * A request header that asks the inference tier not to capture the request as traffic. The deployment's
 * holdout-parity check sends it: holdout rows are not production traffic, and captured they would pollute the
 * drift monitor's capture window. Header names are lowercase, as function URL events and node:http give them.
 */
export const NO_CAPTURE_HEADER = 'x-mlops-capture';
const NO_CAPTURE_VALUE = 'off';

/** Whether a request carrying this `x-mlops-capture` value opted out of capture (the value is case-insensitive). */
export function optsOutOfCapture(value: string | readonly string[] | undefined): boolean {
  const first = typeof value === 'string' ? value : value?.[0];
  return first !== undefined && first.trim().toLowerCase() === NO_CAPTURE_VALUE;
}
