/**
 * What to do with a notification the relay could not finish: retry it later, or dead-letter it at
 * once with a reason. Works on the fields every AWS SDK v3 error and Node.js network error carries
 * (`name`, `code`, `$metadata.httpStatusCode`, `$retryable`), so it needs no SDK.
 *
 * Unknown errors are retried: a wrong "permanent" verdict would dead-letter mail that the next
 * attempt could have delivered, while a wrong "transient" one only costs the retries before SQS's
 * redrive moves the message to the same dead-letter queue (maxReceiveCount 5).
 *
 * Account-level SES problems (sending paused or suspended, MAIL FROM domain no longer verified) are
 * retried too: they hit every message alike, so retrying keeps the relay queue as the buffer and a
 * fix within the retry window needs no replay; after it, SQS moves the messages to the dead-letter
 * queue, still nothing lost. Access and validation errors are permanent: they need an operator
 * (a policy, a key, a deployment), and the message is replayed from the dead-letter queue after the fix.
 */

/**
 * Why a notification failed. Permanent reasons (`canRetry: false`) are the `reason` attribute of the
 * messages the relay itself moves to the dead-letter queue; retryable ones are logged with each
 * retry, and a message that keeps failing reaches the dead-letter queue through SQS's redrive,
 * without a `reason` attribute.
 */
export const DEAD_LETTER_REASONS = {
  throttled: { canRetry: true, description: 'a service throttled the relay or a quota ran out (SES sending rate or daily quota, DynamoDB, KMS, S3)' },
  key_service_unavailable: { canRetry: true, description: 'KMS could not serve the request for the moment' },
  network_error: { canRetry: true, description: 'a request timed out or its connection failed' },
  service_error: { canRetry: true, description: 'a service answered with a server error (5xx) or marked the error retryable' },
  delivery_in_progress: { canRetry: true, description: 'another invocation holds the lease on a delivery of this message' },
  maybe_sent: {
    canRetry: true,
    description: 'SES may have accepted the message but its answer was lost or a server error (5xx); retried only after the lease ends',
  },
  sending_paused: { canRetry: true, description: 'SES sending is paused or suspended for the account, or its MAIL FROM domain is not verified' },
  unknown_error: { canRetry: true, description: 'an error the relay does not classify; retried, then moved by SQS redrive' },
  raw_mail_missing: { canRetry: false, description: 'the raw mail is no longer in S3 (expired or deleted)' },
  invalid_notification: { canRetry: false, description: 'the queue message is not an SES receipt notification' },
  message_rejected: { canRetry: false, description: 'SES rejected this message (MessageRejected)' },
  key_unusable: { canRetry: false, description: 'KMS refused the key or the ciphertext (disabled key, pending deletion, invalid ciphertext)' },
  access_denied: { canRetry: false, description: 'the relay is not allowed to do what it needs; an operator must fix the permissions' },
  invalid_request: { canRetry: false, description: 'a service rejected the request as invalid' },
} as const satisfies Record<string, { canRetry: boolean; description: string }>;

export type DeadLetterReason = keyof typeof DEAD_LETTER_REASONS;

/**
 * A send whose outcome is unknown: the request may have reached SES and been accepted, but no
 * answer saying so arrived (a connection lost after the request was written, a timeout, a 5xx).
 * SES's SendEmail has no idempotency key, so repeating it could deliver a second copy: the delivery
 * keeps its claim until the lease ends instead of being retried at once.
 */
export class MaybeSentError extends Error {
  override readonly name = 'MaybeSentError';
}

export interface FailureClassification {
  readonly reason: DeadLetterReason;
  readonly canRetry: boolean;
  /** The error's name or code, safe to log and to attach to a queue message; never its message text. */
  readonly errorName: string;
}

const REASON_BY_NAME: ReadonlyMap<string, DeadLetterReason> = new Map<string, DeadLetterReason>([
  ...names('throttled', [
    'ThrottlingException',
    'Throttling',
    'TooManyRequestsException',
    'ProvisionedThroughputExceededException',
    'RequestLimitExceeded',
    'LimitExceededException',
    'SlowDown',
  ]),
  ...names('key_service_unavailable', ['KMSInternalException', 'DependencyTimeoutException', 'KeyUnavailableException']),
  ...names('network_error', ['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN']),
  ...names('service_error', ['InternalFailure', 'InternalServerError', 'InternalError', 'ServiceUnavailable', 'ServiceUnavailableException']),
  ...names('delivery_in_progress', ['RetryableDeliveryError']),
  ...names('maybe_sent', ['MaybeSentError']),
  ...names('sending_paused', ['AccountSuspendedException', 'SendingPausedException', 'MailFromDomainNotVerifiedException']),
  ...names('raw_mail_missing', ['NoSuchKey']),
  ...names('invalid_notification', ['InvalidNotificationError']),
  ...names('message_rejected', ['MessageRejected']),
  ...names('key_unusable', ['DisabledException', 'KMSInvalidStateException', 'InvalidCiphertextException', 'IncorrectKeyException', 'InvalidKeyUsageException']),
  ...names('invalid_request', [
    'ValidationException',
    'ValidationError',
    'InvalidParameterValue',
    'InvalidParameterException',
    'InvalidParameterValueException',
    'BadRequestException',
    'SerializationException',
  ]),
]);

function names(reason: DeadLetterReason, errorNames: readonly string[]): [string, DeadLetterReason][] {
  return errorNames.map((name) => [name, reason]);
}

/** Error names are identifiers; anything else (it could carry text from the request) is not passed on. */
const SAFE_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

function field(error: unknown, key: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[key] : undefined;
}

function safeName(value: unknown): string | undefined {
  return typeof value === 'string' && SAFE_NAME.test(value) ? value : undefined;
}

function reasonOf(error: unknown, name: string | undefined, code: string | undefined): DeadLetterReason {
  // Node's network errors are plain `Error`s named by `code`; SDK errors are named by `name`.
  const byName = (name && REASON_BY_NAME.get(name)) ?? (code && REASON_BY_NAME.get(code));
  if (byName) return byName;
  if (name?.startsWith('AccessDenied') || code?.startsWith('AccessDenied')) return 'access_denied';
  const retryable = field(error, '$retryable');
  if (typeof retryable === 'object' && retryable !== null) {
    return (retryable as Record<string, unknown>).throttling === true ? 'throttled' : 'service_error';
  }
  const status = field(field(error, '$metadata'), 'httpStatusCode');
  if (typeof status === 'number' && status >= 500) return 'service_error';
  return 'unknown_error';
}

export function classifyFailure(error: unknown): FailureClassification {
  // Some deliveries of a message wait for a retry: the first one's own error says why, and it is
  // retryable by construction (a permanent failure is dead-lettered on its own instead).
  if (field(error, 'name') === 'IncompleteDeliveryError' && field(error, 'cause') !== undefined) {
    const pending = classifyFailure(field(error, 'cause'));
    return pending.canRetry ? pending : { ...pending, reason: 'unknown_error', canRetry: true };
  }
  const name = safeName(field(error, 'name'));
  const code = safeName(field(error, 'code'));
  const reason = reasonOf(error, name, code);
  // A network error's name is just `Error`; its code says more.
  const errorName = (name === 'Error' ? code : undefined) ?? name ?? code ?? 'unknown';
  return { reason, canRetry: DEAD_LETTER_REASONS[reason].canRetry, errorName };
}

/**
 * Exponential backoff between receives of a failed notification: 30 s after the first failure,
 * doubling each time, never over 15 minutes. With maxReceiveCount 5 that is 30 + 60 + 120 + 240 s
 * of retries, then the last failure waits 480 s before SQS redrives the message; long enough to ride
 * out throttling and short service outages, short enough not to hold mail for hours. The cap also
 * keeps the delay far below SQS's 12-hour visibility limit should maxReceiveCount grow.
 */
const RETRY_BACKOFF = { baseSeconds: 30, maxSeconds: 900 } as const;

/** Seconds until the next receive, from SQS's `ApproximateReceiveCount` (1 on the first receive). */
export function retryDelaySeconds(receiveCount: number, backoff: { readonly baseSeconds: number; readonly maxSeconds: number } = RETRY_BACKOFF): number {
  const attempt = Number.isInteger(receiveCount) && receiveCount >= 1 ? receiveCount : 1;
  // Capped before exponentiating so a huge count cannot overflow to Infinity.
  const exponent = Math.min(attempt - 1, 30);
  return Math.min(backoff.maxSeconds, backoff.baseSeconds * 2 ** exponent);
}
