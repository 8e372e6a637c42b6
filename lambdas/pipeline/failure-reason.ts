import { z } from 'zod';

/**
 * The sentence a data scientist reads for a failed training run, taken from what Step Functions' Catch hands over:
 * its Cause is a JSON document whose shape depends on the step that failed. The registry keeps the Cause too (the
 * details), but the reason is what the console and `mlops models show` lead with.
 *
 *   Lambda step (Evaluate, Register)   {"errorType", "errorMessage", "trace"}       -> errorMessage
 *   SageMaker training (.sync)         DescribeTrainingJob                          -> FailureReason
 *   Batch processing (.sync)           DescribeJobs' job                           -> the container's last lines (StatusReason)
 *   the gate (BelowGate)               the Evaluate result                          -> gate.reason
 * Anything else (a timeout, a Fail state) keeps its Cause as it is.
 */
const causeShapes = z.union([
  z.object({ errorMessage: z.string().min(1) }).transform((c) => c.errorMessage),
  z.object({ FailureReason: z.string().min(1) }).transform((c) => c.FailureReason),
  z.object({ gate: z.object({ reason: z.string().min(1) }) }).transform((c) => c.gate.reason),
  z.object({ StatusReason: z.string().min(1) }).transform((c) => c.StatusReason),
]);

/** Longest reason kept: a sentence, not a log. */
export const MAX_REASON_CHARS = 1000;

export function failureReason(error: string, cause: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(cause);
  } catch {
    parsed = undefined;
  }
  const shaped = causeShapes.safeParse(parsed);
  const reason = (shaped.success ? shaped.data : cause).trim() || error;
  return reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS - 1)}…` : reason;
}
