/**
 * What EventBridge does when a target's service refuses a delivery: the error code it records, whether it retries
 * (with exponential back-off and jitter, within the target's RetryPolicy), and the attributes of the dead-letter
 * message (EventBridge user guide, "Event retry policy and using dead-letter queues").
 */

export interface DeliveryFailure {
  /** EventBridge's ERROR_CODE, e.g. NO_RESOURCE. */
  readonly code: string;
  readonly message: string;
  /** Errors that no retry can fix (a missing target, a refused input) go to the dead-letter queue at once. */
  readonly retryable: boolean;
}

/** The RetryPolicy EventBridge applies when a target sets none: 185 retries within 24 hours. */
const DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 185;
const DEFAULT_MAXIMUM_EVENT_AGE_SECONDS = 86_400;
const FIRST_RETRY_DELAY_MS = 1_000;
const LONGEST_RETRY_DELAY_MS = 300_000;

const FAILURES: Record<string, { code: string; retryable: boolean }> = {
  ResourceNotFoundException: { code: 'NO_RESOURCE', retryable: false },
  StateMachineDoesNotExist: { code: 'NO_RESOURCE', retryable: false },
  AccessDeniedException: { code: 'NO_PERMISSIONS', retryable: false },
  ExecutionAlreadyExists: { code: 'RESOURCE_ALREADY_EXISTS', retryable: false },
  InvalidExecutionInput: { code: 'INVALID_PARAMETER', retryable: false },
  InvalidParameterValueException: { code: 'INVALID_PARAMETER', retryable: false },
  ValidationException: { code: 'INVALID_PARAMETER', retryable: false },
  SyntaxError: { code: 'INVALID_JSON', retryable: false },
  TooManyRequestsException: { code: 'THROTTLING', retryable: true },
  ThrottlingException: { code: 'THROTTLING', retryable: true },
  ExecutionLimitExceeded: { code: 'RESOURCE_LIMIT_EXCEEDED', retryable: true },
};

/** The failure of a delivery, from the error its service threw (named by the service's error code). */
export function deliveryFailure(error: Error): DeliveryFailure {
  const known = FAILURES[error.name];
  return { code: known?.code ?? 'UNKNOWN', message: error.message, retryable: known?.retryable ?? true };
}

/**
 * After `retries` retries, `elapsedMs` (template time) since the first attempt: the delay before the next one, or the
 * RetryPolicy limit that ran out (named after its field; undefined for a failure that is not retried).
 */
export function nextAttempt(
  failure: DeliveryFailure,
  policy: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number } | undefined,
  retries: number,
  elapsedMs: number,
  random: () => number = Math.random,
): { delayMs: number } | { exhausted?: 'MaximumRetryAttempts' | 'MaximumEventAgeInSeconds' } {
  if (!failure.retryable) return {};
  if (retries >= Number(policy?.MaximumRetryAttempts ?? DEFAULT_MAXIMUM_RETRY_ATTEMPTS)) return { exhausted: 'MaximumRetryAttempts' };
  const backOff = Math.min(LONGEST_RETRY_DELAY_MS, FIRST_RETRY_DELAY_MS * 2 ** retries);
  const delayMs = backOff / 2 + random() * (backOff / 2);
  if (elapsedMs + delayMs > Number(policy?.MaximumEventAgeInSeconds ?? DEFAULT_MAXIMUM_EVENT_AGE_SECONDS) * 1000) {
    return { exhausted: 'MaximumEventAgeInSeconds' };
  }
  return { delayMs };
}

/** The message attributes EventBridge adds to an event it puts in a target's dead-letter queue. */
export function deadLetterAttributes(
  ruleArn: string,
  targetArn: string,
  failure: DeliveryFailure,
  retries: number,
  exhausted?: string,
): Record<string, { DataType: 'String'; StringValue: string }> {
  const text = (value: string) => ({ DataType: 'String' as const, StringValue: value });
  return {
    RULE_ARN: text(ruleArn),
    TARGET_ARN: text(targetArn),
    ERROR_CODE: text(failure.code),
    ERROR_MESSAGE: text(failure.message),
    RETRY_ATTEMPTS: text(String(retries)),
    ...(exhausted && { EXHAUSTED_RETRY_CONDITION: text(exhausted) }),
  };
}
